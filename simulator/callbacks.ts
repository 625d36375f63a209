import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CallbackLog } from './callback-log';
import type { CallbackKind, CallbackStats, CarrierVendor } from './types';

const MAX_ATTEMPTS = 4;
const RETRY_DELAYS_MS = [250, 1000, 3000];
const REQUEST_TIMEOUT_MS = 10_000;

export interface OutgoingCallback {
  vendor: CarrierVendor | 'stripe';
  kind: CallbackKind;
  m: string | null;
  messageId: string | null;
  event: string;
  url: string;
  /** Builds the signed request for one delivery attempt (signatures carry the send time). */
  build(attempt: number): { headers: Record<string, string>; body: string };
}

export interface Delivery {
  status: number | null;
  error: string | null;
}

/**
 * Delivers signed callbacks to the product: each after its delay, through a FIFO with bounded
 * concurrency (a burst of accepted sends becomes a steady stream, not a flood), retried on
 * non-2xx or an unreachable receiver, and every attempt logged for replay.
 */
export class CallbackDispatcher {
  private readonly queue: { callback: OutgoingCallback; attempt: number; onDone?: (ok: boolean) => void }[] = [];
  private queueHead = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private generation = 0;
  private readonly stats = { scheduled: 0, delivered: 0, failed: 0 };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly log: CallbackLog,
    private concurrency: number,
  ) {}

  setConcurrency(concurrency: number): void {
    this.concurrency = concurrency;
    this.pump();
  }

  /** Runs `fn` after `delayMs` unless the simulator is reset meanwhile. */
  later(delayMs: number, fn: () => void): void {
    const generation = this.generation;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (generation === this.generation) fn();
    }, delayMs);
    this.timers.add(timer);
  }

  schedule(callback: OutgoingCallback, delayMs: number, onDone?: (ok: boolean) => void): void {
    this.stats.scheduled += 1;
    this.later(delayMs, () => this.enqueue(callback, 1, onDone));
  }

  /** Sends once, now, outside the queue (control commands that answer with the receiver's status). */
  async deliverNow(callback: OutgoingCallback): Promise<Delivery> {
    return this.send(callback, 1);
  }

  counts(): CallbackStats {
    return {
      scheduled: this.stats.scheduled,
      queued: this.queue.length - this.queueHead,
      inFlight: this.inFlight,
      delivered: this.stats.delivered,
      failed: this.stats.failed,
    };
  }

  reset(): void {
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    this.stats.scheduled = 0;
    this.stats.delivered = 0;
    this.stats.failed = 0;
  }

  close(): void {
    this.reset();
    this.agent.destroy();
    this.httpsAgent.destroy();
  }

  private enqueue(callback: OutgoingCallback, attempt: number, onDone?: (ok: boolean) => void): void {
    this.queue.push({ callback, attempt, onDone });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queueHead < this.queue.length) {
      const item = this.queue[this.queueHead]!;
      this.queue[this.queueHead] = undefined as never;
      this.queueHead += 1;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.inFlight += 1;
      const generation = this.generation;
      void this.send(item.callback, item.attempt).then((delivery) => {
        this.inFlight -= 1;
        if (generation === this.generation) this.settle(item.callback, item.attempt, delivery, item.onDone);
        this.pump();
      });
    }
  }

  private settle(callback: OutgoingCallback, attempt: number, delivery: Delivery, onDone?: (ok: boolean) => void): void {
    const ok = delivery.status !== null && delivery.status >= 200 && delivery.status < 300;
    if (ok) {
      this.stats.delivered += 1;
      onDone?.(true);
    } else if (attempt < MAX_ATTEMPTS) {
      this.later(RETRY_DELAYS_MS[attempt - 1] ?? 3000, () => this.enqueue(callback, attempt + 1, onDone));
    } else {
      this.stats.failed += 1;
      onDone?.(false);
    }
  }

  private send(callback: OutgoingCallback, attempt: number): Promise<Delivery> {
    const { headers, body } = callback.build(attempt);
    return new Promise<Delivery>((resolve) => {
      let settled = false;
      const finish = (delivery: Delivery) => {
        if (settled) return;
        settled = true;
        this.log.add({
          seq: this.log.nextSeq(),
          vendor: callback.vendor,
          kind: callback.kind,
          m: callback.m,
          messageId: callback.messageId,
          event: callback.event,
          attempt,
          url: callback.url,
          method: 'POST',
          headers,
          body,
          answerStatus: delivery.status,
          error: delivery.error,
          sentAt: new Date().toISOString(),
        });
        resolve(delivery);
      };
      let url: URL;
      try {
        url = new URL(callback.url);
      } catch {
        finish({ status: null, error: 'invalid callback URL' });
        return;
      }
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : request)(
        url,
        {
          method: 'POST',
          agent: https ? this.httpsAgent : this.agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          res.resume();
          res.on('end', () => finish({ status: res.statusCode ?? null, error: null }));
          res.on('error', (err) => finish({ status: res.statusCode ?? null, error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('callback timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => finish({ status: null, error: err.code ?? err.message }));
      req.end(body);
    });
  }
}
