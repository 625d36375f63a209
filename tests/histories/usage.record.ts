import { afterAll, beforeAll, expect, it } from 'vitest';
import { uuidv7 } from '../../lib/ids';
import { usageReporterWorkflow } from '../../workflows/billing/usage-reporter';
import { signUp } from '../support/accounts';
import { saveHistory } from '../support/histories';
import { waitFor } from '../support/outbox';
import { startSimulatedTimeSkipping, timeSkippingWorker, type SimulatedTimeSkipping } from '../support/time-skipping';
import { giveStripeCustomer, simulatorBilling, usageActivitiesFor } from '../support/usage';

/** Records a usage reporter shard reporting one row (one pass with a send, an idle wait, another pass). */
let stack: SimulatedTimeSkipping;

beforeAll(async () => {
  stack = await startSimulatedTimeSkipping();
});
afterAll(() => stack?.close());

it('records a usage reporter shard', async () => {
  const { env, sim, h } = stack;
  const account = await signUp(h.app, 'Recorded usage');
  const billing = simulatorBilling(sim);
  await giveStripeCustomer(h.deps.pgPool, billing, account.accountId);
  const id = uuidv7();
  await h.deps.pgPool.query(
    `insert into usage_events (id, message_id, account_id, sender, segments, accepted_at, next_attempt_at)
     values ($1, gen_random_uuid(), $2, '+14155550199', 2, now(), now())`,
    [id, account.accountId],
  );
  const activities = usageActivitiesFor(h.deps, billing, { meterId: 'mtr_recorded' });
  const worker = await timeSkippingWorker(env, 'usage-record', activities);
  await worker.runUntil(async () => {
    const workflowId = `usage-report-record-${account.accountId}`;
    const handle = await env.client.workflow.start(usageReporterWorkflow, {
      taskQueue: 'usage-record',
      workflowId,
      args: [{ shard: 0, idlePollMs: 60_000 }],
    });
    const reported = await waitFor(
      async () => (await h.deps.pgPool.query(`select reported_at from usage_events where id = $1`, [id])).rows[0]?.reported_at,
      (at) => Boolean(at),
      60_000,
    );
    expect(reported).toBeTruthy();
    await env.sleep(120_000);
    await handle.terminate('recorded');
    await saveHistory(env.client, workflowId, 'reported-one-row');
  });
});
