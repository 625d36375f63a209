import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { UsageActivities } from '../activities/billing/usage-activities';
import { createBackgroundWorker } from '../workers/background-worker';
import { RetiredQueuePollers } from '../workers/retired-queue-pollers';
import { BACKGROUND_TASK_QUEUE, RETIRED_TASK_QUEUES } from '../workers/task-queues';
import { BACKGROUND_QUEUE_PATCH } from '../workflows/continue-on-background-queue';
import { USAGE_PASSES_PER_RUN, usageReporterWorkflow } from '../workflows/billing/usage-reporter';
import { purgeIdempotencyKeysWorkflow } from '../workflows/purge-idempotency-keys';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/outbox';
import { startTimeSkipping, timeSkippingWorker } from './support/time-skipping';

const RETIRED = 'massivesms-maintenance';

describe('the queues the background roles had before they shared one', () => {
  let h: Harness;
  let connection: NativeConnection;
  let pollers: RetiredQueuePollers;
  beforeAll(async () => {
    h = await startHarness();
    connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
    const options = {
      connection,
      namespace: h.config.TEMPORAL_NAMESPACE,
      deps: h.deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      temporal: h.temporal,
    };
    pollers = new RetiredQueuePollers({
      client: h.temporal,
      logger: h.deps.logger,
      createWorker: (taskQueue) => createBackgroundWorker(options, taskQueue),
      checkEveryMs: 250,
    });
  });
  afterAll(async () => {
    await pollers?.stop();
    await connection?.close();
    await h?.close();
  });

  /** The retired queues polled once `count` of them are (or the wait's 10 s are up). */
  const polledOnceSettled = (count: number) =>
    waitFor(
      () => Promise.resolve(pollers.polled()),
      (q) => q.length === count,
      10_000,
    );

  const runningOn = async (taskQueue: string) =>
    (await h.temporal.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`)).count;

  it('are the seven per-role queues of before', () => {
    expect([...RETIRED_TASK_QUEUES]).toEqual([
      'massivesms-dsr',
      'massivesms-lifecycle',
      'massivesms-notices',
      'massivesms-maintenance',
      'massivesms-webhooks',
      'massivesms-usage',
      'massivesms-billing',
    ]);
  });

  it('are polled while a workflow still runs there and no longer once none does; a later start there is picked up at the next check', async () => {
    expect(RETIRED_TASK_QUEUES.map(String)).toContain(RETIRED);
    // Nothing of this run started there: no Worker for a queue nothing uses.
    for (const queue of RETIRED_TASK_QUEUES) expect(await runningOn(queue)).toBe(0);
    await pollers.start();
    expect(pollers.polled()).toEqual([]);

    // A workflow an older release started on its role's own queue, before the queues merged.
    const before = await h.temporal.workflow.start(purgeIdempotencyKeysWorkflow, {
      taskQueue: RETIRED,
      workflowId: `retired-queue-before-${Date.now()}`,
    });
    expect(
      await waitFor(
        () => runningOn(RETIRED),
        (n) => n === 1,
        10_000,
      ),
    ).toBe(1);
    expect(await polledOnceSettled(1)).toEqual([RETIRED]);
    expect(await before.result()).toEqual({ purged: expect.any(Number) });
    expect((await before.describe()).taskQueue).toBe(RETIRED);
    expect(await polledOnceSettled(0)).toEqual([]);

    // An older API process still starting there during a rolling deploy: polled again, then let go again.
    const during = await h.temporal.workflow.start(purgeIdempotencyKeysWorkflow, {
      taskQueue: RETIRED,
      workflowId: `retired-queue-during-${Date.now()}`,
    });
    expect(await during.result()).toEqual({ purged: expect.any(Number) });
    expect(await polledOnceSettled(0)).toEqual([]);
    expect(await runningOn(RETIRED)).toBe(0);
  });
});

describe('a workflow that runs for good, started on its retired queue', () => {
  it('continues as new on the background queue, marked so that runs from before the move replay unchanged', async () => {
    const env = await startTimeSkipping();
    const idle = { claimed: 0, reported: 0, retried: 0, reconciledCounted: 0, reconciledResent: 0, unresolved: 0, nextDueAt: null };
    // The reporter's passes find nothing due: what moves is the workflow, not usage.
    const activities: Pick<UsageActivities, 'reportUsage' | 'alertSpendThresholds'> = {
      reportUsage: () => Promise.resolve(idle),
      alertSpendThresholds: () => Promise.resolve(0),
    };
    const retired = await timeSkippingWorker(env, 'massivesms-usage', activities);
    const background = await timeSkippingWorker(env, BACKGROUND_TASK_QUEUE, activities);
    try {
      await retired.runUntil(
        background.runUntil(async () => {
          const first = await env.client.workflow.start(usageReporterWorkflow, {
            taskQueue: 'massivesms-usage',
            workflowId: `usage-report-retired-${Date.now()}`,
            args: [{ shard: 0, idlePollMs: 60_000 }],
          });
          // 200 passes a minute apart: the first run continues as new after 200 minutes.
          await env.sleep(`${USAGE_PASSES_PER_RUN + 10} minutes`);
          const latest = await env.client.workflow.getHandle(first.workflowId).describe();
          expect(latest.runId).not.toBe(first.firstExecutionRunId);
          expect(latest.taskQueue).toBe(BACKGROUND_TASK_QUEUE);
          const firstRun = env.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId);
          expect((await firstRun.describe()).taskQueue).toBe('massivesms-usage');
          const history = await firstRun.fetchHistory();
          const patches = (history.events ?? []).flatMap((e) =>
            (e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString()),
          );
          expect(patches).toEqual([expect.stringContaining(`"${BACKGROUND_QUEUE_PATCH}"`)]);
          const continued = (history.events ?? []).find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
          expect(continued?.workflowExecutionContinuedAsNewEventAttributes?.taskQueue?.name).toBe(BACKGROUND_TASK_QUEUE);
          await env.client.workflow.getHandle(first.workflowId).terminate('test over');
        }),
      );
    } finally {
      await env.teardown();
    }
  }, 120_000);
});
