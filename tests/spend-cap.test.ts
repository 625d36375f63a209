import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailSender } from '../providers/email/registry';
import { raiseSpendAlerts } from '../services/billing/spend-alerts';
import { spendCapReached } from '../services/billing/spend-cap-store';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { insertQueuedMessages, waitFor } from './support/outbox';
import { obtainSenderNumber } from './support/sender-numbers';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

/** 0.0079 USD per segment (the seeded price); a 0.10 cap is reached at the 13th segment (0.1027). */
const TWO_SEGMENTS = 'x'.repeat(161);
/** Small dispatcher batches on two shards, so the overshoot bound (DISPATCH_SHARDS × DISPATCH_BATCH_SIZE messages) is small enough to test. */
const SHARDS = 2;
const BATCH = 5;
let sim: SimulatorProcess;
let h: Harness;
let acct: TestAccount;
let FROM = '';

const sql = async <T>(q: string, p: unknown[] = []) => (await h.deps.pgPool.query(q, p)).rows as T[];
const send = (body = TWO_SEGMENTS) => request(h.app).post('/v1/messages').set(acct.auth).send({ to: freshPhone(), from: FROM, body });
const alertPass = () =>
  raiseSpendAlerts(
    {
      em: h.deps.orm.em.fork(),
      pgPool: h.deps.pgPool,
      keyring: h.deps.keyring,
      email: createEmailSender(h.deps.config),
      logger: h.deps.logger,
    },
    0,
    1,
    new Date(),
  );

async function sendAllAndWait(n: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    ids.push(res.body.id as string);
  }
  const sent = await waitFor(
    () =>
      sql<{ n: number }>(`select count(*)::int as n from messages where id = any($1::uuid[]) and status in ('sent', 'delivered')`, [ids]),
    (r) => r[0]!.n === n,
    60_000,
  );
  expect(sent[0]!.n).toBe(n);
}

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({
    env: { ...sim.env(), WEBHOOKS_ALLOW_LOOPBACK: 'true', DISPATCH_SHARDS: String(SHARDS), DISPATCH_BATCH_SIZE: String(BATCH) },
    messaging: true,
  });
  acct = await signUp(h.app, 'Capped');
  FROM = await obtainSenderNumber(h, acct, { sim });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

describe('PATCH /v1/billing (monthly spend cap)', () => {
  it('needs the admin scope, and refuses bad amounts with problem+json', async () => {
    const key = await request(h.app)
      .post('/v1/api-keys')
      .set(acct.auth)
      .send({ name: 'reader', scopes: ['read', 'write'] });
    expect(key.status).toBe(201);
    expectProblem(
      await request(h.app)
        .patch('/v1/billing')
        .set({ Authorization: `Bearer ${key.body.key as string}` })
        .send({ monthlySpendCap: '5' }),
      403,
    );
    for (const monthlySpendCap of ['-1', 'abc', '1.1234567', '0', '0.000000', 12, '1e3', '9999999999999']) {
      const res = await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap });
      expectProblem(res, 422);
    }
    expectProblem(await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '5', extra: 1 }), 422);
    expectProblem(await request(h.app).get('/v1/usage').query({ groupBy: 'week' }).set(acct.auth), 422);
    expectProblem(
      await request(h.app).get('/v1/usage').query({ from: '2026-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }).set(acct.auth),
      422,
    );
    expectProblem(
      await request(h.app).get('/v1/usage').query({ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).set(acct.auth),
      422,
    );
  });

  it(
    'alerts once per threshold, refuses new sends with 402 at 100 %, holds queued ones, and lets them go when the cap is raised',
    { timeout: 180_000 },
    async () => {
      const hook = await request(h.app)
        .post('/v1/webhook-endpoints')
        .set(acct.auth)
        .send({ url: 'http://127.0.0.1:9/hook', eventTypes: ['billing.threshold_reached'] });
      expect(hook.status, JSON.stringify(hook.body)).toBe(201);
      const capped = await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '0.10' });
      expect(capped.status).toBe(200);
      expect(capped.body.spendCap).toMatchObject({ currency: 'usd', monthlyCap: '0.10', periodSpend: '0.00', capReached: false });

      // 10 segments: 0.079, 79 % of the cap.
      await sendAllAndWait(5);
      expect(await alertPass()).toBe(1);
      expect(await alertPass()).toBe(0);
      const alerts = () =>
        sql<{ threshold: number; emailed: boolean }>(
          `select threshold, emailed_at is not null as emailed from billing_threshold_alerts where account_id = $1 order by threshold`,
          [acct.accountId],
        );
      expect(await alerts()).toEqual([{ threshold: 50, emailed: true }]);
      // To the account's own verified owner, nobody else's.
      const [owner] = await sql<{ email: string }>(
        `select u.email from account_memberships m join users u on u.id = m.user_id where m.account_id = $1 and m.role = 'owner'`,
        [acct.accountId],
      );
      const alertMails = (await sim.control.emails()).filter((e) => e.subject.includes('of your monthly spend cap'));
      expect(alertMails.map((e) => e.to)).toEqual([[owner!.email]]);

      // 14 segments: 0.1106, over the cap. 80 and 100 % are raised once each.
      await sendAllAndWait(2);
      expect(await alertPass()).toBe(2);
      expect(await alertPass()).toBe(0);
      expect(await alerts()).toEqual([
        { threshold: 50, emailed: true },
        { threshold: 80, emailed: true },
        { threshold: 100, emailed: true },
      ]);
      const events = await sql<{ event_type: string; n: number }>(
        `select event_type, count(*)::int as n from webhook_deliveries where endpoint_id = $1 group by event_type`,
        [hook.body.id],
      );
      expect(events).toEqual([{ event_type: 'billing.threshold_reached', n: 3 }]);
      const state = await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '0.10' });
      expect(state.body.spendCap).toMatchObject({ periodSegments: 14, periodSpend: '0.1106', capReached: true, percentOfCap: 110.6 });

      // New sends are refused...
      const refused = await send('one more');
      expectProblem(refused, 402, 'spend_cap_reached');
      const batch = await request(h.app)
        .post('/v1/messages/batch')
        .set(acct.auth)
        .send({ messages: [{ to: freshPhone(), from: FROM, body: 'x' }] });
      expect(batch.status).toBe(202);
      expect(batch.body.results[0].error.type).toBe('https://massivesms.dev/problems/spend_cap_reached');
      // ...and a message already queued waits in the outbox: never sent, never dropped.
      const [queued] = await insertQueuedMessages(h.deps, [
        { accountId: acct.accountId, from: FROM, to: freshPhone(), body: 'queued before' },
      ]);
      const held = await waitFor(
        () => sql<{ status: string; wait_reason: string | null }>(`select status, wait_reason from messages where id = $1`, [queued]),
        (r) => r[0]!.wait_reason === 'spend_cap',
        30_000,
      );
      expect(held).toEqual([{ status: 'queued', wait_reason: 'spend_cap' }]);

      // Raising the cap lets it go at once, and sends are accepted again.
      const raised = await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '1.00' });
      expect(raised.body.spendCap).toMatchObject({ monthlyCap: '1.00', capReached: false });
      const sent = await waitFor(
        () => sql<{ status: string }>(`select status from messages where id = $1`, [queued]),
        (r) => r[0]!.status === 'sent' || r[0]!.status === 'delivered',
        30_000,
      );
      expect(['sent', 'delivered']).toContain(sent[0]!.status);
      expect((await send('back')).status).toBe(202);

      // GET /v1/usage shows what was billed: 15 accepted messages so far (the last one may still be sending).
      const usage = await request(h.app).get('/v1/usage').query({ groupBy: 'sender' }).set(acct.auth);
      expect(usage.status).toBe(200);
      expect(usage.body.data[0]).toMatchObject({ sender: FROM });
      expect(usage.body.totals.segments).toBeGreaterThanOrEqual(15);
    },
  );

  it(
    'under many concurrent sends near the cap, the spend ends above it by less than one batch per shard (DISPATCH_SHARDS × DISPATCH_BATCH_SIZE messages)',
    { timeout: 120_000 },
    async () => {
      const busy = await signUp(h.app, 'Concurrent');
      const from = await obtainSenderNumber(h, busy, { sim });
      // The 8th one-segment message reaches it (7 × 0.0079 = 0.0553, 8 × 0.0079 = 0.0632): inside a batch, not at its end.
      const CAP_SEGMENTS = 8;
      expect((await request(h.app).patch('/v1/billing').set(busy.auth).send({ monthlySpendCap: '0.06' })).status).toBe(200);
      // Slow carrier answers: both shards hold a batch in flight at once, as under load.
      await sim.control.setFaults({ latencyMs: { telnyx: [100, 300], twilio: [100, 300] } });
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          request(h.app)
            .post('/v1/messages')
            .set(busy.auth)
            .send({ to: freshPhone(), from, body: `near the cap ${i}` }),
        ),
      );
      const accepted = answers.filter((r) => r.status === 202).map((r) => r.body.id as string);
      for (const r of answers.filter((a) => a.status !== 202)) expectProblem(r, 402, 'spend_cap_reached');
      expect(accepted.length).toBeGreaterThan(CAP_SEGMENTS + SHARDS * BATCH);

      // Settled: every accepted message sent, or held in the outbox for the cap. None failed, none dropped.
      const settled = await waitFor(
        () =>
          sql<{ sent: number; held: number }>(
            `select count(*) filter (where status in ('sent', 'delivered'))::int as sent,
                    count(*) filter (where status = 'queued' and wait_reason = 'spend_cap')::int as held
               from messages where id = any($1::uuid[])`,
            [accepted],
          ),
        (r) => r[0]!.sent + r[0]!.held === accepted.length,
        60_000,
      );
      await sim.control.clearFaults();
      const { sent, held } = settled[0]!;
      expect(sent + held).toBe(accepted.length);
      // PATCH with the same cap answers the month's spend (GET /v1/billing does not show it yet).
      const state = (await request(h.app).patch('/v1/billing').set(busy.auth).send({ monthlySpendCap: '0.06' })).body.spendCap as {
        periodSegments: number;
        capReached: boolean;
      };
      expect(state.periodSegments).toBe(sent);
      expect(state.capReached).toBe(true);
      // The spend was under the cap (at most CAP_SEGMENTS − 1) when the last batch passed the check;
      // every batch past it then (at most one per shard, that one included) is sent in full.
      expect(sent).toBeGreaterThanOrEqual(CAP_SEGMENTS);
      expect(sent - CAP_SEGMENTS).toBeLessThanOrEqual(SHARDS * BATCH - 1);

      // The cap is per UTC month: it holds to this month's last instant and lifts at the next one's
      // first (held messages go and a paused campaign may resume then).
      const now = new Date();
      const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      expect(await spendCapReached(h.deps.pgPool, busy.accountId, new Date(nextMonth.getTime() - 1))).toBe(true);
      expect(await spendCapReached(h.deps.pgPool, busy.accountId, nextMonth)).toBe(false);
    },
  );
});
