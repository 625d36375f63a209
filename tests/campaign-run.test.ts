import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueuePage } from '../services/campaigns/campaign-store';
import { openDeliveryPayload } from '../services/webhooks/customer-events';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/outbox';
import { zoneAtLocalHour } from './support/audience';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * Campaigns end to end on the dev server: the campaign workflow writes pages into the outbox, the
 * real dispatchers send them to the simulator, and the ledger shows who got what.
 */
let stack: WebhookStack;
let acct: TestAccount;
let FROM = '';

const OPEN_ZONE = zoneAtLocalHour(14);
const NIGHT_ZONE = zoneAtLocalHour(3);

const api = () => request(stack.h.app);
const sql = <T>(q: string, p: unknown[] = []) => stack.h.deps.orm.em.fork().execute<T[]>(q, p);

async function contact(phone: string, name: string | null, timezone = OPEN_ZONE, account = acct): Promise<string> {
  const res = await api()
    .post('/v1/contacts')
    .set(account.auth)
    .send({ phone, ...(name ? { name } : {}), attributes: { timezone, plan: 'Gold' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function listOf(name: string, contactIds: string[], account = acct): Promise<string> {
  const id = (await api().post('/v1/lists').set(account.auth).send({ name })).body.id as string;
  for (let i = 0; i < contactIds.length; i += 1000) {
    expect(
      (
        await api()
          .post(`/v1/lists/${id}/contacts`)
          .set(account.auth)
          .send({ contactIds: contactIds.slice(i, i + 1000) })
      ).status,
    ).toBe(200);
  }
  return id;
}

async function draft(body: Record<string, unknown>, account = acct): Promise<string> {
  const res = await api()
    .post('/v1/campaigns')
    .set(account.auth)
    .send({ name: 'Run', template: 'Hi {{name | "friend"}}, {{attributes.plan}} deals inside', from: FROM, ratePerSecond: 50, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const progressOf = (id: string) => stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).query<CampaignProgress>('progress');

let hookId = '';

/** The campaign.* events queued for the account's endpoint about one campaign, opened: type and data. */
async function campaignEvents(campaignId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await sql<{ event_id: string; payload: Buffer }>(
    'select event_id, payload from webhook_deliveries where endpoint_id = ? order by created_at, event_id',
    [hookId],
  );
  const dataKey = await stack.h.deps.keyring.keyFor(stack.h.deps.orm.em.fork(), acct.accountId);
  return rows
    .map((r) => JSON.parse(openDeliveryPayload(dataKey, r.event_id, r.payload)) as { type: string; data: Record<string, unknown> })
    .filter((e) => e.data.campaignId === campaignId)
    .map(({ type, data }) => ({ type, data }));
}

beforeAll(async () => {
  stack = await startWebhookStack({ worker: true, messaging: true, env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  acct = await signUp(stack.h.app, 'Campaign runner');
  FROM = await obtainSenderNumber(stack.h, acct, { sim: stack.sim });
  // Nobody listens there and no delivery worker runs: the events stay queued, to be read here.
  const hook = await api()
    .post('/v1/webhook-endpoints')
    .set(acct.auth)
    .send({
      url: 'http://127.0.0.1:9/campaigns',
      eventTypes: ['campaign.started', 'campaign.paused', 'campaign.completed', 'campaign.cancelled'],
    });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  hookId = hook.body.id;
});
afterAll(async () => {
  // Later files share the database: their delivery drains must not meet this endpoint's deliveries.
  if (hookId) expect((await api().delete(`/v1/webhook-endpoints/${hookId}`).set(acct.auth)).status).toBe(204);
  await stack?.close();
});

describe('a campaign run', () => {
  it('sends each eligible recipient exactly one rendered message and reports exact progress', async () => {
    const phones = Array.from({ length: 12 }, () => freshPhone());
    const ids = [];
    for (const [i, phone] of phones.entries()) ids.push(await contact(phone, i % 3 === 0 ? null : `Guest ${i}`));
    const optedOut = phones[1]!;
    expect((await api().post('/v1/opt-outs').set(acct.auth).send({ phone: optedOut })).status).toBe(201);
    // ids 0-7 on A, 6-11 on B (6 and 7 on both); 10 and 11 excluded.
    const listA = await listOf('A', ids.slice(0, 8));
    const listB = await listOf('B', ids.slice(6));
    const excluded = await listOf('Excluded', ids.slice(10));
    const id = await draft({ audience: { listIds: [listA, listB], excludeListIds: [excluded] } });

    const launched = await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth);
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    expect(launched.body.status).toBe('running');
    const result = await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    expect(result).toMatchObject({ state: 'completed', targeted: 10, duplicates: 2, queued: 9, skipped: { opted_out: 1 }, remaining: 0 });

    const eligible = phones.slice(0, 10).filter((p) => p !== optedOut);
    const ledger = (await stack.sim.control.ledger()).entries.filter((e) => e.from === FROM && e.text.endsWith('deals inside'));
    expect(ledger.map((e) => e.to).sort()).toEqual([...eligible].sort());
    const bodies = new Map(ledger.map((e) => [e.to, e.text]));
    expect(bodies.get(phones[0]!)).toBe('Hi friend, Gold deals inside');
    expect(bodies.get(phones[2]!)).toBe('Hi Guest 2, Gold deals inside');

    const shown = await api().get(`/v1/campaigns/${id}`).set(acct.auth);
    expect(shown.body.status).toBe('completed');
    expect(shown.body.progress).toMatchObject({ live: true, state: 'completed', targeted: 10, queued: 9, remaining: 0 });
    expect(shown.body.progress.messages.sent + shown.body.progress.messages.delivered).toBe(9);
    const recipients = await sql<{ state: string; n: number }>(
      `select state, count(*)::int as n from campaign_recipients where campaign_id = ? group by state order by state`,
      [id],
    );
    expect(recipients).toEqual([
      { state: 'queued', n: 9 },
      { state: 'skipped', n: 1 },
    ]);
    expect(await campaignEvents(id)).toEqual([
      { type: 'campaign.started', data: { campaignId: id, state: 'started', targeted: 10, queued: 0, skipped: {} } },
      { type: 'campaign.completed', data: { campaignId: id, state: 'completed', targeted: 10, queued: 9, skipped: { opted_out: 1 } } },
    ]);
  });

  it('pause stops new pages, resume continues where it stopped, cancel sends nothing more', async () => {
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push(await contact(freshPhone(), `P${i}`));
    const id = await draft({ audience: { listIds: [await listOf('Slow', ids)] }, ratePerSecond: 4 });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    await waitFor(
      () => progressOf(id),
      (p) => p.queued >= 4,
      20_000,
    );

    const paused = await api().post(`/v1/campaigns/${id}/pause`).set(acct.auth);
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', progress: { state: 'paused' } });
    // At most the page in flight lands after the answer; then nothing until resume. Nothing is an
    // absence, so it is watched for a fixed window: three page intervals at this rate.
    const observed = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await observed(750);
    const atPause = (await progressOf(id)).queued;
    expect(atPause).toBeLessThanOrEqual(paused.body.progress.queued + 4);
    await observed(750);
    expect((await progressOf(id)).queued).toBe(atPause);
    expect((await sql<{ n: number }>('select count(*)::int as n from messages where campaign_id = ?', [id]))[0]!.n).toBe(atPause);

    const resumed = await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth);
    expect(resumed.body).toMatchObject({ status: 'running' });
    await waitFor(
      () => progressOf(id),
      (p) => p.queued > atPause,
      20_000,
    );

    const cancelled = await api().post(`/v1/campaigns/${id}/cancel`).set(acct.auth);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', progress: { state: 'cancelled', remaining: 0 } });
    const result = await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    expect(result.state).toBe('cancelled');

    const sentOrFinal = await waitFor(
      () =>
        sql<{ status: string; n: number }>(`select status, count(*)::int as n from messages where campaign_id = ? group by status`, [id]),
      (rows) => rows.every((r) => !['queued', 'sending'].includes(r.status)),
      // A send in flight at the cancel finishes; on a loaded machine one may time out (10 s) and be
      // settled by its receipt or the lookup after the reconcile wait (30 s).
      50_000,
    );
    expect(sentOrFinal.filter((r) => ['queued', 'sending'].includes(r.status))).toEqual([]);
    const sent = sentOrFinal.filter((r) => r.status !== 'failed').reduce((a, r) => a + r.n, 0);
    const ledger = await stack.sim.control.ledger();
    const campaignEntries = ledger.entries.filter((e) => e.from === FROM && e.text.startsWith('Hi P'));
    expect(campaignEntries).toHaveLength(sent);
    expect(result.queued).toBe(sent);
    expect(result.queued + (result.skipped.campaign_cancelled ?? 0)).toBe(40);

    expect((await campaignEvents(id)).map((e) => [e.type, e.data.state])).toEqual([
      ['campaign.started', 'started'],
      ['campaign.paused', 'paused'],
      ['campaign.cancelled', 'cancelled'],
    ]);
    expectProblem(await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth), 409, 'conflict');
    expectProblem(await api().patch(`/v1/campaigns/${id}`).set(acct.auth).send({ name: 'again' }), 409, 'conflict');
  }, 120_000);

  it('a status changed outside the workflow is adopted: paused waits for resume, cancelled ends the run', async () => {
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push(await contact(freshPhone(), `O${i}`));
    const id = await draft({ audience: { listIds: [await listOf('Outside', ids)] }, ratePerSecond: 4 });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    await waitFor(
      () => progressOf(id),
      (p) => p.queued >= 4,
      20_000,
    );
    await sql(`update campaigns set status = 'paused' where id = ?`, [id]);
    const adopted = await waitFor(
      () => progressOf(id),
      (p) => p.state === 'paused',
      20_000,
    );
    expect(adopted.state).toBe('paused');
    const resumed = await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth);
    expect(resumed.body, JSON.stringify(resumed.body)).toMatchObject({ status: 'running', progress: { state: 'sending' } });
    await waitFor(
      () => progressOf(id),
      (p) => p.queued > adopted.queued,
      20_000,
    );

    await sql(`update campaigns set status = 'cancelled' where id = ?`, [id]);
    const result = await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    expect(result.state).toBe('cancelled');
    const stored = await sql<{ state: string; n: number }>(
      `select state, count(*)::int as n from campaign_recipients where campaign_id = ? group by state order by state`,
      [id],
    );
    const pendingLeft = stored.find((r) => r.state === 'pending')?.n ?? 0;
    expect(pendingLeft).toBe(0);
    expect(result.queued + (result.skipped.campaign_cancelled ?? 0)).toBe(40);
    expect(result.queued).toBe(
      (await sql<{ n: number }>(`select count(*)::int as n from messages where campaign_id = ? and status <> 'failed'`, [id]))[0]!.n,
    );
  });

  it('a recipient outside its quiet hours waits (pending, with the window opening), never sent early', async () => {
    const night = await contact(freshPhone(), 'Sleepy', NIGHT_ZONE);
    const id = await draft({ audience: { listIds: [await listOf('Night', [night])] } });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    const waiting = await waitFor(
      () => progressOf(id),
      (p) => p.state === 'waiting',
      20_000,
    );
    expect(waiting).toMatchObject({ targeted: 1, queued: 0, waitingQuietHours: 1, remaining: 1 });
    const opening = new Date(waiting.nextOpeningAt!);
    const localHour = Number(opening.toLocaleString('en-US', { timeZone: NIGHT_ZONE, hour: 'numeric', hour12: false }));
    expect(localHour).toBe(8);
    expect(opening.getTime() - Date.now()).toBeGreaterThan(4 * 3600_000);
    const [row] = await sql<{ state: string; not_before: string }>(
      'select state, not_before from campaign_recipients where campaign_id = ?',
      [id],
    );
    expect([row!.state, new Date(row!.not_before).getTime()]).toEqual(['pending', opening.getTime()]);
    expect((await api().post(`/v1/campaigns/${id}/cancel`).set(acct.auth)).body.progress).toMatchObject({
      state: 'cancelled',
      skipped: { campaign_cancelled: 1 },
    });
    expect((await sql('select 1 from messages where campaign_id = ?', [id])).length).toBe(0);
  });

  it('pauses itself when its sender number is removed after launch, and sends once the number is back and it is resumed', async () => {
    const from = await obtainSenderNumber(stack.h, acct, { sim: stack.sim });
    const phone = freshPhone();
    const list = await listOf('Sender gone', [await contact(phone, 'Gone')]);
    const id = await draft({ from, audience: { listIds: [list] }, startAt: new Date(Date.now() + 3_000).toISOString() });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).body.status).toBe('scheduled');
    const numbers = (await api().get('/v1/sender-numbers?limit=100').set(acct.auth)).body.data as { id: string; phone: string }[];
    const numberId = numbers.find((n) => n.phone === from)!.id;
    expect((await api().delete(`/v1/sender-numbers/${numberId}`).set(acct.auth)).status).toBe(202);

    const paused = await waitFor(
      () => progressOf(id),
      (p) => p.state === 'paused',
      20_000,
    );
    expect(paused).toMatchObject({ pausedReason: 'sender_unavailable', targeted: 1, queued: 0, remaining: 1 });
    const shown = await api().get(`/v1/campaigns/${id}`).set(acct.auth);
    expect(shown.body).toMatchObject({ status: 'paused', progress: { state: 'paused', pausedReason: 'sender_unavailable' } });
    expect((await sql('select 1 from messages where campaign_id = ?', [id])).length).toBe(0);

    // Released at the carriers by number-release, then ordered again by its last owner (allowed during the quarantine).
    await waitFor(
      async () => (await api().get(`/v1/sender-numbers/${numberId}`).set(acct.auth)).body.status as string,
      (status) => status === 'released',
      20_000,
    );
    await obtainSenderNumber(stack.h, acct, { phone: from, sim: stack.sim });
    expect((await api().post(`/v1/campaigns/${id}/resume`).set(acct.auth)).body).toMatchObject({
      status: 'running',
      progress: { pausedReason: null },
    });
    const result = await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    expect(result).toMatchObject({ state: 'completed', queued: 1, remaining: 0, pausedReason: null });
    const ledger = (await stack.sim.control.ledger()).entries.filter((e) => e.from === from);
    expect(ledger.map((e) => e.to)).toEqual([phone]);
    expect((await campaignEvents(id)).map((e) => e.type)).toEqual(['campaign.started', 'campaign.paused', 'campaign.completed']);
  });

  it("a recipient at its state's cap waits (waitingMessageCap in GET) until its oldest counted message is 24 h old", async () => {
    // The state from the attribute, the zone where it is mid-afternoon now: only the cap holds it back.
    const res = await api()
      .post('/v1/contacts')
      .set(acct.auth)
      .send({ phone: freshPhone(), name: 'Capped', attributes: { timezone: OPEN_ZONE, state: 'FL', plan: 'Gold' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const [{ phone_hash }] = (await sql<{ phone_hash: Buffer }>('select phone_hash from contacts where id = ?', [res.body.id])) as [
      { phone_hash: Buffer },
    ];
    // Three campaign messages from other campaigns in the last 24 h, the oldest 3 h ago.
    const oldest = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 3600_000);
    for (let i = 0; i < 3; i++) {
      const sentAt = new Date(oldest.getTime() + i * 600_000);
      await sql(
        `insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, campaign_id, created_at, sent_at, updated_at)
         values (gen_random_uuid(), ?, 'outbound', 'campaign', ?, ?, 'GSM-7', 1, 'delivered', gen_random_uuid(), ?, ?, ?)`,
        [acct.accountId, phone_hash, FROM, sentAt, sentAt, sentAt],
      );
    }
    const id = await draft({ audience: { listIds: [await listOf('Capped', [res.body.id])] } });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    await waitFor(
      () => progressOf(id).catch(() => null),
      (p) => p?.state === 'waiting',
      20_000,
    );
    const shown = await api().get(`/v1/campaigns/${id}`).set(acct.auth);
    expect(shown.body.progress).toMatchObject({
      state: 'waiting',
      queued: 0,
      waitingQuietHours: 0,
      waitingMessageCap: 1,
      remaining: 1,
      nextOpeningAt: new Date(oldest.getTime() + 24 * 3600_000).toISOString(),
    });
    expect((await api().post(`/v1/campaigns/${id}/cancel`).set(acct.auth)).status).toBe(200);
    expect((await sql('select 1 from messages where campaign_id = ?', [id])).length).toBe(0);
  });

  it('launch refuses a non-draft and a rate over the account cap; steering a draft is refused', async () => {
    const owner = await signUp(stack.h.app, 'Capped');
    const from = await obtainSenderNumber(stack.h, owner, { sim: stack.sim });
    const list = await listOf('Solo', [await contact(freshPhone(), 'Solo', OPEN_ZONE, owner)], owner);
    const later = new Date(Date.now() + 3600_000).toISOString();
    const make = (ratePerSecond: number) => draft({ from, audience: { listIds: [list] }, startAt: later, ratePerSecond }, owner);
    const launch = (id: string) => api().post(`/v1/campaigns/${id}/launch`).set(owner.auth);

    const id = await make(100);
    expectProblem(await api().post(`/v1/campaigns/${id}/pause`).set(owner.auth), 409, 'conflict');
    expect((await launch(id)).body).toMatchObject({ status: 'scheduled', progress: { messages: { queued: 0 } } });
    expectProblem(await launch(id), 409, 'conflict');

    const others = [];
    for (let i = 0; i < 9; i++) others.push(await make(100));
    for (const other of others) expect((await launch(other)).status).toBe(200);
    const refused = await launch(await make(1));
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.detail).toBe(
      "this account's active campaigns already send 1000 messages per second; 1 more would pass its cap of 1000",
    );
    for (const c of [id, ...others]) expect((await api().post(`/v1/campaigns/${c}/cancel`).set(owner.auth)).status).toBe(200);
    expect((await launch(await make(1))).status).toBe(200);
  });

  it('a replayed page cannot give a recipient a second message (ids derived from campaign and contact)', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await contact(freshPhone(), `R${i}`));
    const id = await draft({ audience: { listIds: [await listOf('Replay', ids)] } });
    expect((await api().post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    await stack.h.temporal.workflow.getHandle(campaignWorkflowId(id)).result();
    const before = await sql<{ id: string }>('select id from messages where campaign_id = ? order by id', [id]);
    expect(before).toHaveLength(3);

    // As if the page's transaction had been replayed: the rows pending again, the campaign running.
    await sql(`update campaign_recipients set state = 'pending', message_id = null where campaign_id = ?`, [id]);
    await sql(`update campaigns set status = 'running' where id = ?`, [id]);
    const dataKey = await stack.h.deps.keyring.keyFor(stack.h.deps.orm.em.fork(), acct.accountId);
    const page = await enqueuePage(stack.h.deps.pgPool, dataKey, id, 100, new Date());
    expect(page.queued).toBe(3);
    expect(await sql<{ id: string }>('select id from messages where campaign_id = ? order by id', [id])).toEqual(before);
    const linked = await sql<{ message_id: string }>(
      'select message_id from campaign_recipients where campaign_id = ? order by message_id',
      [id],
    );
    expect(linked.map((r) => r.message_id)).toEqual(before.map((m) => m.id));
  });
});
