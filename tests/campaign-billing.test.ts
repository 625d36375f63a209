import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { insertAudience, zoneAtLocalHour } from './support/audience';
import { freshPhone } from './support/messaging';
import { waitFor } from './support/outbox';
import { obtainSenderNumber } from './support/sender-numbers';
import { CAP_REACHED_AFTER, CAPPED_AUDIENCE, runUntilSpendCapPause } from './support/spend-capped-campaign';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * What a campaign costs: the estimate of its whole audience before anything is sent (preview and
 * launch), the price each message is billed, and the campaign pausing itself at the spend cap.
 * Prices: the seeded 0.0079 USD per segment.
 */
let stack: WebhookStack;
const api = () => request(stack.h.app);
const sql = async <T>(q: string, p: unknown[] = []) => (await stack.h.deps.pgPool.query(q, p)).rows as T[];

async function accountWithSender(name: string): Promise<{ acct: TestAccount; from: string }> {
  const acct = await signUp(stack.h.app, name);
  return { acct, from: await obtainSenderNumber(stack.h, acct, { sim: stack.sim }) };
}

beforeAll(async () => {
  stack = await startWebhookStack({ worker: true, messaging: true, env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
});
afterAll(async () => {
  await stack?.close();
});

describe('campaign estimate and message prices', () => {
  it(
    'preview and launch estimate the whole audience (UCS-2 segments per contact, the opted-out and restricted excluded), and the bill matches it',
    { timeout: 120_000 },
    async () => {
      const { acct, from } = await accountWithSender('Estimated');
      const timezone = zoneAtLocalHour(14);
      const paris = await insertAudience(stack.h.deps, acct.accountId, [freshPhone(), freshPhone(), freshPhone(), freshPhone()], {
        city: 'Paris',
        timezone,
      });
      const krakowPhones = [freshPhone(), freshPhone()];
      const krakow = await insertAudience(stack.h.deps, acct.accountId, krakowPhones, { city: 'Kraków', timezone });
      const optedOut = await api()
        .post('/v1/opt-outs')
        .set(acct.auth)
        .send({ phone: await phoneOf(acct, paris.contactIds[0]!) });
      expect(optedOut.status, JSON.stringify(optedOut.body)).toBe(201);
      // A restriction of processing (as a data subject request records it) on another.
      await sql(
        `insert into recipient_restrictions (account_id, phone_hash, reason, created_at)
         select account_id, phone_hash, 'dsr', now() from contacts where id = $1`,
        [paris.contactIds[1]],
      );
      // "Hello from Paris! " + 130 = 148 GSM-7 characters: 1 segment. "Hello from Kraków! " + 130 = 149
      // characters with an ó (not GSM-7): UCS-2, 67 a segment, 3 segments.
      const draft = await api()
        .post('/v1/campaigns')
        .set(acct.auth)
        .send({
          name: 'Estimated',
          template: `Hello from {{attributes.city}}! ${'x'.repeat(130)}`,
          from,
          ratePerSecond: 10,
          audience: { listIds: [paris.listId, krakow.listId] },
        });
      expect(draft.status, JSON.stringify(draft.body)).toBe(201);
      const id = draft.body.id as string;
      const estimate = {
        recipients: 6,
        excluded: { opted_out: 1, restricted: 1, timezone_unknown: 0 },
        messages: 4,
        segments: 8,
        segmentsByEncoding: { 'GSM-7': 2, 'UCS-2': 6 },
        currency: 'usd',
        pricePerSegment: '0.0079',
        cost: '0.0632',
        spendCapLeft: null,
        exceedsSpendCap: false,
      };
      const preview = await api().get(`/v1/campaigns/${id}/preview`).set(acct.auth);
      expect(preview.status, JSON.stringify(preview.body)).toBe(200);
      expect(preview.body).toEqual({ campaignId: id, estimate });
      const one = await api().get(`/v1/campaigns/${id}/preview`).query({ contactId: krakow.contactIds[0] }).set(acct.auth);
      expect(one.body).toMatchObject({ contactId: krakow.contactIds[0], characters: 149, encoding: 'UCS-2', segments: 3, estimate });
      // Under a cap with less left than the estimate, the preview says so.
      expect((await api().patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '0.05' })).status).toBe(200);
      expect((await api().get(`/v1/campaigns/${id}/preview`).set(acct.auth)).body.estimate).toMatchObject({
        spendCapLeft: '0.05',
        exceedsSpendCap: true,
      });
      expect((await api().patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: null })).status).toBe(200);

      const launched = await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth);
      expect(launched.status, JSON.stringify(launched.body)).toBe(200);
      expect(launched.body.estimate).toEqual(estimate);
      expect(await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result()).toMatchObject({
        state: 'completed',
        queued: 4,
        skipped: { opted_out: 1, restricted: 1 },
      });

      // Billed what was estimated: 8 segments, 0.0632; each message priced at acceptance.
      const usage = await api().get('/v1/usage').query({ groupBy: 'campaign' }).set(acct.auth);
      expect(usage.body.data).toEqual([{ campaignId: id, segments: 8, messages: 4, cost: '0.0632' }]);
      const listed = await api().get('/v1/messages').query({ campaignId: id }).set(acct.auth);
      expect(listed.status).toBe(200);
      const prices = (listed.body.data as { to: string; segments: number; price: unknown }[])
        .map((m) => ({ krakow: krakowPhones.includes(m.to), segments: m.segments, price: m.price }))
        .sort((a, b) => Number(a.krakow) - Number(b.krakow));
      expect(prices).toEqual([
        { krakow: false, segments: 1, price: { amount: '0.0079', currency: 'usd' } },
        { krakow: false, segments: 1, price: { amount: '0.0079', currency: 'usd' } },
        { krakow: true, segments: 3, price: { amount: '0.0237', currency: 'usd' } },
        { krakow: true, segments: 3, price: { amount: '0.0237', currency: 'usd' } },
      ]);
    },
  );

  it('launch estimates the audience before it locks the campaign: while the estimate waits, the campaign row is free', async () => {
    const { acct, from } = await accountWithSender('Estimated unlocked');
    const audience = await insertAudience(stack.h.deps, acct.accountId, [freshPhone()], { city: 'Lyon', timezone: zoneAtLocalHour(14) });
    const draft = await api()
      .post('/v1/campaigns')
      .set(acct.auth)
      .send({
        name: 'Unlocked',
        template: 'Hello from {{attributes.city}}!',
        from,
        ratePerSecond: 10,
        audience: { listIds: [audience.listId] },
      });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const id = draft.body.id as string;
    // The estimate's first statement waits behind this lock; nothing else of the launch reads the table.
    const blocker = await stack.h.deps.pgPool.connect();
    let launching: Promise<request.Response> | undefined;
    try {
      await blocker.query('begin');
      await blocker.query('lock table list_memberships in access exclusive mode');
      launching = api()
        .post(`/v1/campaigns/${id}/launch`)
        .set(acct.auth)
        .then((res) => res);
      const waiting = await waitFor(
        () =>
          sql<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and query like '%select distinct contact_id from list_memberships%'`,
          ),
        (rows) => rows[0]!.n > 0,
        20_000,
        20,
      );
      // Another file's estimate may be held too (the database is shared): at least this launch's is.
      expect(waiting[0]!.n).toBeGreaterThanOrEqual(1);
      // A launch estimating inside its transaction would hold the row (for update) here: nowait would fail.
      expect(await sql(`select id from campaigns where id = $1 for update nowait`, [id])).toEqual([{ id }]);
    } finally {
      await blocker.query('rollback');
      blocker.release();
    }
    const launched = await launching;
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    expect(launched.body).toMatchObject({ status: 'running', estimate: { recipients: 1, messages: 1, segments: 1 } });
    expect(await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result()).toMatchObject({ state: 'completed', queued: 1 });
  });

  it('a message has no price until a carrier accepts it, then its segments at the price in effect then', { timeout: 60_000 }, async () => {
    const { acct, from } = await accountWithSender('Priced');
    const queued = await api()
      .post('/v1/messages')
      .set(acct.auth)
      .send({ to: freshPhone(), from, body: 'x'.repeat(161) });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued', segments: 2, price: null });
    const sent = await waitFor(
      () =>
        api()
          .get(`/v1/messages/${queued.body.id as string}`)
          .set(acct.auth),
      (r) => r.body.status !== 'queued' && r.body.status !== 'sending',
      30_000,
    );
    expect(['sent', 'delivered']).toContain(sent.body.status);
    expect(sent.body).toMatchObject({ segments: 2, price: { amount: '0.0158', currency: 'usd' } });
  });
});

describe('a campaign at the spend cap', () => {
  it(
    'pauses itself (pausedReason spend_cap) without dropping what it queued, refuses to resume until the cap is raised, then completes',
    { timeout: 180_000 },
    async () => {
      const { acct, from } = await accountWithSender('Capped campaign');
      const { campaignId, handle, launched, paused, shown } = await runUntilSpendCapPause(stack.h, acct, from);
      expect(launched.estimate).toMatchObject({
        messages: CAPPED_AUDIENCE,
        segments: CAPPED_AUDIENCE,
        cost: '0.0474',
        exceedsSpendCap: true,
      });
      expect(paused).toMatchObject({ state: 'paused', pausedReason: 'spend_cap' });
      expect(paused.queued).toBeGreaterThanOrEqual(CAP_REACHED_AFTER);
      expect(paused.queued).toBeLessThan(CAPPED_AUDIENCE);
      expect(paused.remaining).toBe(CAPPED_AUDIENCE - paused.queued);
      expect(shown).toMatchObject({ status: 'paused', progress: { state: 'paused', pausedReason: 'spend_cap' } });

      // Every message it queued is sent or waits in the outbox for the cap: none failed, none dropped.
      const states = await sql<{ status: string; wait_reason: string | null }>(
        `select status, wait_reason from messages where campaign_id = $1`,
        [campaignId],
      );
      expect(states).toHaveLength(paused.queued);
      expect(states.filter((s) => !['sent', 'delivered', 'queued', 'sending'].includes(s.status))).toEqual([]);

      expectProblem(await api().post(`/v1/campaigns/${campaignId}/resume`).set(acct.auth), 402, 'spend_cap_reached');
      expect((await api().patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '1.00' })).status).toBe(200);
      const resumed = await api().post(`/v1/campaigns/${campaignId}/resume`).set(acct.auth);
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body.progress).toMatchObject({ pausedReason: null });
      expect(await handle.result()).toMatchObject({ state: 'completed', queued: CAPPED_AUDIENCE, remaining: 0, pausedReason: null });
      const sent = await sql<{ n: number }>(
        `select count(*)::int as n from messages where campaign_id = $1 and status in ('sent', 'delivered')`,
        [campaignId],
      );
      expect(sent).toEqual([{ n: CAPPED_AUDIENCE }]);
    },
  );
});

async function phoneOf(acct: TestAccount, contactId: string): Promise<string> {
  const res = await api().get(`/v1/contacts/${contactId}`).set(acct.auth);
  expect(res.status).toBe(200);
  return res.body.phone as string;
}
