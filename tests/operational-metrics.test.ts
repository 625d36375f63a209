import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROCESS_KINDS } from '../api/operational-metrics';
import { ProcessKindKey } from '../workflows/search-attributes';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { insertQueuedMessages, startSendPathAfresh, waitFor } from './support/outbox';

let h: Harness;
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

beforeAll(async () => {
  h = await startHarness({ env: { METRICS_TOKEN } });
});
afterAll(() => h.close());

/** The value of one sample line (`name{labels} value`), or undefined without it. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operational metrics', () => {
  it('/metrics reports pool waiters, outbox depth and age, dispatcher lag, webhook and usage-report backlogs and failures per process kind', async () => {
    // No dispatcher runs in this file: what is queued stays queued, with the ages written here.
    await startSendPathAfresh(h.deps.pgPool);
    const acct = await signUp(h.app, 'Metrics');
    const ids = await insertQueuedMessages(
      h.deps,
      [1, 2, 3].map((i) => ({ accountId: acct.accountId, from: '+14155550199', to: `+1415555${7100 + i}`, body: `metrics ${i}` })),
    );
    await h.deps.pgPool.query(
      `update messages set created_at = now() - interval '300 seconds', next_attempt_at = now() - interval '120 seconds' where id = $1`,
      [ids[0]],
    );
    // Due later (a send window): counted in the outbox and its age, not in the dispatchers' lag.
    await h.deps.pgPool.query(`update messages set next_attempt_at = now() + interval '1 hour' where id = $1`, [ids[1]]);

    // Usage rows: one reported, two waiting (the older accepted 2 days ago), one reconciliation left for an operator.
    // Earlier files on this database may have left rows of their own waiting: counted before, added to.
    const usageCounts = () =>
      h.deps.pgPool
        .query<{ waiting: number; unresolved: number }>(
          `select count(*) filter (where unresolved_at is null)::int as waiting, count(*) filter (where unresolved_at is not null)::int as unresolved
             from usage_events where reported_at is null`,
        )
        .then((r) => r.rows[0]!);
    const usageBefore = await usageCounts();
    await h.deps.pgPool.query(
      `insert into usage_events (id, message_id, account_id, sender, segments, accepted_at, next_attempt_at, reported_at, unresolved_at)
       select gen_random_uuid(), gen_random_uuid(), $1, '+14155550199', 1, now() - r.age, now(), r.reported, r.unresolved
         from (values (interval '1 hour', now(), null::timestamptz), (interval '2 days', null, null),
                      (interval '10 minutes', null, null), (interval '3 days', null, now())) as r (age, reported, unresolved)`,
      [acct.accountId],
    );

    // One execution of a kind times out (nobody polls its queue): the count for that kind includes it. Other
    // files on this Temporal server may have failed executions of their own, so each kind is compared with
    // what visibility says, read here after the failure is visible.
    const timedOut = await h.temporal.workflow.start('auditAnchorWorkflow', {
      taskQueue: `metrics-unpolled-${Date.now()}`,
      workflowId: `metrics-timed-out-${Date.now()}`,
      workflowExecutionTimeout: '1 second',
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'audit-anchor' }],
    });
    const failedCount = (kind: string) =>
      h.temporal.workflow.count(`ProcessKind = '${kind}' AND ExecutionStatus IN ('Failed', 'TimedOut')`).then((r) => r.count);
    await waitFor(
      () => h.temporal.workflow.count(`WorkflowId = '${timedOut.workflowId}' AND ExecutionStatus = 'TimedOut'`),
      (seen) => seen.count === 1,
      20_000,
    );
    const expectedFailures = new Map(await Promise.all(PROCESS_KINDS.map(async (k) => [k, await failedCount(k)] as const)));
    expect(expectedFailures.get('audit-anchor')).toBeGreaterThanOrEqual(1);

    const res = await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    const text = res.text;
    expect(sample(text, 'massivesms_outbox_queued_messages')).toBe(3);
    const oldest = sample(text, 'massivesms_outbox_oldest_queued_age_seconds')!;
    expect(oldest).toBeGreaterThanOrEqual(300);
    expect(oldest).toBeLessThan(360);
    const lag = sample(text, 'massivesms_dispatcher_lag_seconds')!;
    expect(lag).toBeGreaterThanOrEqual(120);
    expect(lag).toBeLessThan(180);
    expect(sample(text, 'massivesms_webhook_backlog_deliveries')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'massivesms_webhook_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'massivesms_deletions_past_alert_mark')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'massivesms_usage_report_backlog')).toBe(usageBefore.waiting + 2);
    expect(sample(text, 'massivesms_usage_unresolved')).toBe(usageBefore.unresolved + 1);
    expect(sample(text, 'massivesms_usage_report_oldest_age_seconds')).toBeGreaterThanOrEqual(2 * 86_400);
    for (const pool of ['orm', 'pg', 'upload', 'export']) expect(sample(text, `massivesms_db_pool_waiters{pool="${pool}"}`)).toBe(0);
    for (const kind of PROCESS_KINDS) expect(sample(text, `massivesms_workflow_failures{kind="${kind}"}`)).toBe(expectedFailures.get(kind));
    expect(sample(text, 'massivesms_metrics_source_up{source="postgres"}')).toBe(1);
    expect(sample(text, 'massivesms_metrics_source_up{source="temporal"}')).toBe(1);
  });
});
