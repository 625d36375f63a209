import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingActivities } from '../activities/billing';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { insertAudience, zoneAtLocalHour } from './support/audience';
import { freshPhone } from './support/messaging';
import { insertQueuedMessages, waitFor } from './support/outbox';
import { obtainSenderNumber } from './support/sender-numbers';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * Sending suspended for non-payment (dunning's 14th day), enforced end to end on the dev server:
 * the API refuses, the real dispatchers hold the outbox, a running campaign pauses itself, and
 * lifting the suspension (as `invoice.paid` does, through the same activity) lets everything go.
 */
let stack: WebhookStack;
let acct: TestAccount;
let FROM = '';

const api = () => request(stack.h.app);
const sql = async <T>(q: string, p: unknown[] = []) => (await stack.h.deps.pgPool.query(q, p)).rows as T[];
/** The dunning workflow's own activity: suspension and its lifting go through exactly this. */
const suspend = (suspended: boolean) =>
  createBillingActivities({ deps: stack.h.deps, billing: null, email: null }).suspendSending(acct.accountId, suspended);
const send = (body = 'hello') => api().post('/v1/messages').set(acct.auth).send({ to: freshPhone(), from: FROM, body });
const progressOf = (id: string) => stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).query<CampaignProgress>('progress');
const statusOf = async (id: string) =>
  (await sql<{ status: string; wait_reason: string | null }>('select status, wait_reason from messages where id = $1', [id]))[0]!;

async function draftCampaign(recipients: number, ratePerSecond: number): Promise<string> {
  const { listId } = await insertAudience(
    stack.h.deps,
    acct.accountId,
    Array.from({ length: recipients }, () => freshPhone()),
    { timezone: zoneAtLocalHour(14) },
  );
  const res = await api()
    .post('/v1/campaigns')
    .set(acct.auth)
    .send({ name: 'Suspended', template: 'Deals inside', from: FROM, ratePerSecond, audience: { listIds: [listId] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

beforeAll(async () => {
  stack = await startWebhookStack({ worker: true, messaging: true });
  acct = await signUp(stack.h.app, 'Unpaid');
  FROM = await obtainSenderNumber(stack.h, acct, { sim: stack.sim });
});
afterAll(async () => {
  await stack?.close();
});

describe('sending suspended for non-payment', () => {
  it('refuses new sends and launches with 402 account_suspended, holds queued messages, and lets them go when lifted', async () => {
    const draft = await draftCampaign(3, 10);
    await suspend(true);
    const billing = await api().get('/v1/billing').set(acct.auth);
    expect(billing.body).toMatchObject({ sendingSuspended: true });

    expectProblem(await send(), 402, 'account_suspended');
    const batch = await api()
      .post('/v1/messages/batch')
      .set(acct.auth)
      .send({ messages: [{ to: freshPhone(), from: FROM, body: 'x' }] });
    expect(batch.status).toBe(202);
    expect(batch.body.results[0].error.type).toBe('https://massivesms.dev/problems/account_suspended');
    expectProblem(await api().post(`/v1/campaigns/${draft}/launch`).set(acct.auth), 402, 'account_suspended');
    expect((await sql<{ status: string }>('select status from campaigns where id = $1', [draft]))[0]!.status).toBe('draft');

    // A message queued before the suspension waits in the outbox: never sent, never dropped. A STOP /
    // HELP answer (keyword reply) still goes: the carriers' rules require it.
    const [queued, keywordReply] = await insertQueuedMessages(stack.h.deps, [
      { accountId: acct.accountId, from: FROM, to: freshPhone(), body: 'queued' },
      { accountId: acct.accountId, from: FROM, to: freshPhone(), body: 'You are unsubscribed.', kind: 'keyword_reply' },
    ]);
    const held = await waitFor(
      () => statusOf(queued!),
      (r) => r.wait_reason === 'account_suspended',
      30_000,
    );
    expect(held).toEqual({ status: 'queued', wait_reason: 'account_suspended' });
    expect(await sql('select 1 from message_attempts where message_id = $1', [queued])).toEqual([]);
    const reply = await waitFor(
      () => statusOf(keywordReply!),
      (r) => r.status === 'sent' || r.status === 'delivered',
      30_000,
    );
    expect(['sent', 'delivered']).toContain(reply.status);

    // Lifted: the held message goes at once (well before the minute's recheck), and sends are accepted again.
    await suspend(false);
    const sent = await waitFor(
      () => statusOf(queued!),
      (r) => r.status === 'sent' || r.status === 'delivered',
      20_000,
    );
    expect(['sent', 'delivered']).toContain(sent.status);
    expect((await send('back')).status).toBe(202);
    expect((await api().post(`/v1/campaigns/${draft}/launch`).set(acct.auth)).status).toBe(200);
  });

  it('a running campaign pauses itself (account_suspended), cannot be resumed while suspended, and finishes once lifted', async () => {
    const id = await draftCampaign(30, 2);
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    await waitFor(
      () => progressOf(id),
      (p) => p.queued >= 2,
      30_000,
    );
    await suspend(true);
    const paused = await waitFor(
      () => progressOf(id),
      (p) => p.state === 'paused',
      30_000,
    );
    expect(paused.pausedReason).toBe('account_suspended');
    expect((await sql<{ status: string }>('select status from campaigns where id = $1', [id]))[0]!.status).toBe('paused');
    // Nothing more is written while suspended.
    const queuedAtPause = paused.queued;
    expect(queuedAtPause).toBeLessThan(30);
    expectProblem(await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth), 402, 'account_suspended');
    expect((await progressOf(id)).queued).toBe(queuedAtPause);

    await suspend(false);
    const resumed = await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    const done = await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    expect(done).toMatchObject({ state: 'completed', queued: 30 });
    const sent = await sql<{ n: number }>(
      `select count(*)::int as n from messages where campaign_id = $1 and status in ('sent', 'delivered')`,
      [id],
    );
    expect(sent[0]!.n).toBe(30);
  });
});
