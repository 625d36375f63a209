import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchWorkflowId, dispatchWorkflow } from '../workflows/messaging/dispatch';
import { ensureDispatchWorkflows } from '../workers/create-messaging-worker';
import { signUp } from './support/accounts';
import { insertQueuedMessages, messageStates, waitFor } from './support/outbox';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/** Changing DISPATCH_SHARDS on a running system: the dev server, the real dispatchers and simulator. */
let stack: WebhookStack;

beforeAll(async () => {
  stack = await startWebhookStack({ env: { DISPATCH_SHARDS: '3' }, messaging: true });
});
afterAll(async () => {
  await stack?.close();
});

async function statusOf(shard: number): Promise<string> {
  return (await stack.h.temporal.workflow.getHandle(dispatchWorkflowId(shard)).describe()).status.name;
}

/** Visibility is eventually consistent: wait until the listing shows every running shard. */
async function listedRunning(count: number): Promise<void> {
  await waitFor(
    async () => {
      const { count } = await stack.h.temporal.workflow.count(`ProcessKind = 'dispatch' AND ExecutionStatus = 'Running'`);
      return count;
    },
    (n) => n === count,
    20_000,
    100,
  );
}

describe('lowering DISPATCH_SHARDS', () => {
  it('retires the shards beyond the new count: they complete, the rest keep sending, and raising it again restarts them', async () => {
    const { h } = stack;
    await listedRunning(3);
    const retired = await ensureDispatchWorkflows(h.temporal, { DISPATCH_SHARDS: 1, DISPATCH_BATCH_SIZE: h.config.DISPATCH_BATCH_SIZE });
    expect(retired.sort()).toEqual(['dispatch:1', 'dispatch:2']);
    for (const shard of [1, 2]) {
      const progress = await h.temporal.workflow.getHandle<typeof dispatchWorkflow>(dispatchWorkflowId(shard)).result();
      expect(progress.iterations).toBeGreaterThanOrEqual(1);
    }
    expect(await statusOf(0)).toBe('RUNNING');

    const acct = await signUp(h.app, 'Shards');
    const ids = await insertQueuedMessages(
      h.deps,
      Array.from({ length: 5 }, (_, i) => ({
        accountId: acct.accountId,
        from: '+14155550100',
        to: `+1415555${String(7000 + i)}`,
        body: 'hi',
      })),
    );
    const states = await waitFor(
      () => messageStates(h.deps, ids),
      (rows) => rows.every((r) => r.status === 'sent' || r.status === 'delivered'),
      30_000,
    );
    expect(states.map((s) => s.carrier)).toEqual(Array(5).fill('telnyx'));

    await listedRunning(1);
    expect(await ensureDispatchWorkflows(h.temporal, { DISPATCH_SHARDS: 3, DISPATCH_BATCH_SIZE: h.config.DISPATCH_BATCH_SIZE })).toEqual(
      [],
    );
    expect([await statusOf(0), await statusOf(1), await statusOf(2)]).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
  });
});
