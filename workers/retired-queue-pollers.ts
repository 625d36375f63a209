import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { RETIRED_TASK_QUEUES } from './task-queues';

/** How often visibility is asked whether a retired queue still has running workflows. */
export const RETIRED_QUEUE_CHECK_MS = 60_000;

export interface RetiredQueuePollersDeps {
  client: Client;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** A Worker for one retired queue, with the activities of the queue that replaced it. */
  createWorker(taskQueue: string): Promise<Worker>;
  queues?: readonly string[];
  checkEveryMs?: number;
}

/**
 * Polls each retired task queue while a workflow still runs on it (a DSR or a termination started
 * before the queues merged waits out its timers there), and stops polling it once none does, so at
 * rest the process holds no Worker for a queue nothing uses. A workflow an older process starts on a
 * retired queue during a rolling deploy is picked up at the next check; its tasks wait, none is lost.
 */
export class RetiredQueuePollers {
  private readonly running = new Map<string, { worker: Worker; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: RetiredQueuePollersDeps) {}

  /** Checks once (so a restart resumes at once what runs there), then every `checkEveryMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => {
      this.checking = this.checking
        .then(() => this.check())
        .catch((err: unknown) => {
          this.deps.logger.warn({ err }, 'retired task queue check failed; retried at the next check');
        });
    }, this.deps.checkEveryMs ?? RETIRED_QUEUE_CHECK_MS);
    this.timer.unref();
  }

  /** The retired queues polled right now. */
  polled(): string[] {
    return [...this.running.keys()];
  }

  async check(): Promise<void> {
    for (const taskQueue of this.deps.queues ?? RETIRED_TASK_QUEUES) {
      if (this.stopped) return;
      const { count } = await this.deps.client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`);
      const poller = this.running.get(taskQueue);
      if (count > 0 && !poller) {
        const worker = await this.deps.createWorker(taskQueue);
        const done = worker.run().catch((err: unknown) => {
          this.running.delete(taskQueue);
          this.deps.logger.warn({ err, taskQueue }, 'a retired task queue poller failed; restarted at the next check');
        });
        this.running.set(taskQueue, { worker, done });
        this.deps.logger.info({ taskQueue, running: count }, 'polling a retired task queue while its workflows finish');
      } else if (count === 0 && poller) {
        this.running.delete(taskQueue);
        poller.worker.shutdown();
        await poller.done;
        this.deps.logger.info({ taskQueue }, 'retired task queue drained; no longer polled');
      }
    }
  }

  /** Stops checking and every poller (their activities get the shutdown grace like any Worker's). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
    const pollers = [...this.running.values()];
    this.running.clear();
    for (const { worker } of pollers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(pollers.map((p) => p.done));
  }
}
