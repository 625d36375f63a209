import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NANP_AREA_CODE_GROUPS, NANP_FALLBACK_ZONES } from '../services/campaigns/data/nanp-area-codes';
import { STATE_RULES } from '../services/campaigns/data/state-rules';
import { enqueuePage, readCampaign, snapshotPage } from '../services/campaigns/campaign-store';
import { recipientPlace } from '../services/campaigns/recipient-zone';
import { nextOpening, sendWindowFor, stateRule } from '../services/campaigns/send-window';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { advanceNumber } from '../services/messaging/sender-number-store';
import { waitFor } from './support/outbox';

/**
 * Quiet hours and state rules at send time, on the real database: enqueuePage is called with the
 * instant under test (the workflow passes its own clock the same way), and the recipient rows and
 * the outbox show who was sent and who waits until when.
 */
let h: Harness;
let acct: TestAccount;
let FROM = '';

const api = () => request(h.app);
const sql = <T>(q: string, p: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(q, p);
const at = (iso: string) => new Date(iso);

async function contact(phone: string, attributes: Record<string, string> = {}): Promise<string> {
  const res = await api().post('/v1/contacts').set(acct.auth).send({ phone, name: 'Pat', attributes });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function listOf(contactIds: string[]): Promise<string> {
  const id = (await api().post('/v1/lists').set(acct.auth).send({ name: 'Audience' })).body.id as string;
  expect((await api().post(`/v1/lists/${id}/contacts`).set(acct.auth).send({ contactIds })).status).toBe(200);
  return id;
}

/** A campaign to the list, launched as the workflow would leave it: running, its audience snapshotted. */
async function runningCampaign(listId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api()
    .post('/v1/campaigns')
    .set(acct.auth)
    .send({ name: 'Sale', template: 'Hi {{name}}, sale today', from: FROM, audience: { listIds: [listId] }, ratePerSecond: 50, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = res.body.id as string;
  await sql(`update campaigns set status = 'running', launched_at = ? where id = ?`, [new Date('2026-01-01T00:00:00Z'), id]);
  const row = (await readCampaign(h.deps.pgPool, id))!;
  expect((await snapshotPage(h.deps.pgPool, row, null, 1000)).next).toBeNull();
  return id;
}

async function page(campaignId: string, now: Date) {
  const dataKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), acct.accountId);
  return enqueuePage(h.deps.pgPool, dataKey, campaignId, 100, now);
}

/** Each recipient's state, wait and reason, by contact id. */
async function recipients(campaignId: string) {
  const rows = await sql<{
    contact_id: string;
    state: string;
    not_before: Date | null;
    wait_reason: string | null;
    skip_reason: string | null;
  }>('select contact_id, state, not_before, wait_reason, skip_reason from campaign_recipients where campaign_id = ?', [campaignId]);
  return Object.fromEntries(
    rows.map((r) => [
      r.contact_id,
      { state: r.state, notBefore: r.not_before && new Date(r.not_before).toISOString(), wait: r.wait_reason, skip: r.skip_reason },
    ]),
  );
}

async function messagesOf(campaignId: string): Promise<{ created_at: Date }[]> {
  return sql('select created_at from messages where campaign_id = ?', [campaignId]);
}

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Quiet hours');
  FROM = await obtainSenderNumber(h, acct);
});
afterAll(async () => {
  // Nothing here is for a dispatcher: later files' dispatchers must not send these test messages.
  if (acct)
    await sql(`update messages set status = 'failed', error_code = 'test_cleanup' where account_id = ? and status = 'queued'`, [
      acct.accountId,
    ]);
  await h?.close();
});

describe('where a recipient is', () => {
  it('places a +1 number by its area code, an unknown code in every NANP zone, and lets attributes override', () => {
    expect(recipientPlace('+18085550123', {})).toEqual({ zones: ['Pacific/Honolulu'], region: 'HI' });
    expect(recipientPlace('+12125550123', {})).toEqual({ zones: ['America/New_York'], region: 'NY' });
    expect(recipientPlace('+13055550123', {})).toEqual({ zones: ['America/New_York'], region: 'FL' });
    expect(recipientPlace('+18505550123', {})).toEqual({ zones: ['America/New_York', 'America/Chicago'], region: 'FL' });
    expect(recipientPlace('+14165550123', {})).toEqual({ zones: ['America/Toronto'], region: 'ON' });
    expect(recipientPlace('+19995550123', {})).toEqual({ zones: NANP_FALLBACK_ZONES, region: null });
    expect(NANP_FALLBACK_ZONES).toEqual([
      'America/St_Johns',
      'America/Halifax',
      'America/New_York',
      'America/Chicago',
      'America/Denver',
      'America/Phoenix',
      'America/Los_Angeles',
      'America/Anchorage',
      'Pacific/Honolulu',
    ]);
    // The contact's own timezone and state win over the number's.
    expect(recipientPlace('+12125550123', { timezone: 'Europe/Paris', state: 'us-fl' })).toEqual({ zones: ['Europe/Paris'], region: 'FL' });
    expect(recipientPlace('+12125550123', { timezone: 'Not/AZone' })).toEqual({ zones: ['America/New_York'], region: 'NY' });
    // Elsewhere: a single-zone country by its calling code, else unknown.
    expect(recipientPlace('+447700900123', {})).toEqual({ zones: ['Europe/London'], region: null });
    expect(recipientPlace('+5511987654321', {})).toBeNull();
    expect(recipientPlace('+5511987654321', { timezone: 'America/Sao_Paulo' })).toEqual({ zones: ['America/Sao_Paulo'], region: null });
  });

  it('keeps every state rule with its statute and source, for a region the area-code table knows', () => {
    const regions = new Set(NANP_AREA_CODE_GROUPS.map((g) => g.region));
    for (const rule of STATE_RULES) {
      expect(regions.has(rule.region), rule.region).toBe(true);
      expect(rule.statute.length, rule.region).toBeGreaterThan(10);
      expect(rule.source.length, rule.region).toBeGreaterThan(10);
    }
    expect(STATE_RULES.filter((r) => r.cap).map((r) => [r.region, r.window, r.cap])).toEqual([
      ['FL', { start: '08:00', end: '20:00' }, { messages: 3, hours: 24 }],
      ['OK', { start: '08:00', end: '20:00' }, { messages: 3, hours: 24 }],
      ['MD', { start: '08:00', end: '20:00' }, { messages: 3, hours: 24 }],
    ]);
  });

  it('narrows the window to the stricter of the campaign and the state rule', () => {
    const campaign = { startMinute: 8 * 60 + 30, endMinute: 21 * 60 };
    expect(sendWindowFor(campaign, stateRule('FL'))).toEqual({
      daily: { startMinute: 510, endMinute: 1200 },
      sunday: { startMinute: 510, endMinute: 1200 },
    });
    expect(sendWindowFor(campaign, stateRule('CT')).daily).toEqual({ startMinute: 540, endMinute: 1200 });
    expect(sendWindowFor(campaign, stateRule('MS')).sunday).toBeNull();
    expect(sendWindowFor(campaign, stateRule('NY'))).toEqual({ daily: campaign, sunday: campaign });
    // Saturday 2026-01-17 21:00 CST (03:00 UTC) is past 20:00 in Mississippi; Sunday is shut: Monday 08:30 CST.
    const ms = sendWindowFor(campaign, stateRule('MS'));
    expect(nextOpening(['America/Chicago'], at('2026-01-18T03:00:00Z'), ms)?.toISOString()).toBe('2026-01-19T14:30:00.000Z');
  });
});

describe('quiet hours at send time', () => {
  it('at one instant sends the New York recipient and holds the Honolulu one until 08:00 Honolulu time', async () => {
    const ny = await contact(freshPhone('+1212'));
    const hnl = await contact(freshPhone('+1808'));
    const id = await runningCampaign(await listOf([ny, hnl]));
    // 2026-06-15 14:00 UTC: 10:00 in New York (EDT), 04:00 in Honolulu (HST).
    const result = await page(id, at('2026-06-15T14:00:00Z'));
    expect(result).toMatchObject({ queued: 1, deferred: 1, pendingLeft: 1, waiting: 1, waitingMessageCap: 0 });
    expect(result.nextOpeningAt).toBe(at('2026-06-15T18:00:00Z').getTime());
    expect(await recipients(id)).toEqual({
      [ny]: { state: 'queued', notBefore: null, wait: null, skip: null },
      [hnl]: { state: 'pending', notBefore: '2026-06-15T18:00:00.000Z', wait: 'quiet_hours', skip: null },
    });
    // Not due a millisecond early; sent at the opening.
    expect((await page(id, at('2026-06-15T17:59:59.999Z'))).queued).toBe(0);
    expect((await page(id, at('2026-06-15T18:00:00Z'))).queued).toBe(1);
    expect((await recipients(id))[hnl]!.state).toBe('queued');
  });

  it('opens at 08:00 local on the spring-forward day (12:00 UTC, EDT), not an hour late', async () => {
    const c = await contact(freshPhone('+1212'));
    const id = await runningCampaign(await listOf([c]));
    // 2026-03-08 06:30 UTC is 01:30 EST, before the 02:00 switch.
    await page(id, at('2026-03-08T06:30:00Z'));
    expect((await recipients(id))[c]).toMatchObject({ state: 'pending', notBefore: '2026-03-08T12:00:00.000Z' });
    // 11:59:59 UTC is 07:59:59 EDT: still shut, even when asked directly (the row made due).
    await sql(`update campaign_recipients set not_before = null where campaign_id = ?`, [id]);
    expect((await page(id, at('2026-03-08T11:59:59Z'))).queued).toBe(0);
    expect((await recipients(id))[c]).toMatchObject({ state: 'pending', notBefore: '2026-03-08T12:00:00.000Z' });
    expect((await page(id, at('2026-03-08T12:00:00Z'))).queued).toBe(1);
  });

  it('opens at 08:00 local on the fall-back day (13:00 UTC, EST), not an hour early', async () => {
    const c = await contact(freshPhone('+1212'));
    const id = await runningCampaign(await listOf([c]));
    // 2026-11-01 05:30 UTC is 01:30 EDT, before the clocks go back at 02:00 EDT.
    await page(id, at('2026-11-01T05:30:00Z'));
    expect((await recipients(id))[c]).toMatchObject({ state: 'pending', notBefore: '2026-11-01T13:00:00.000Z' });
    // 12:59:59 UTC is 07:59:59 EST (it would be 08:59:59 with yesterday's offset).
    await sql(`update campaign_recipients set not_before = null where campaign_id = ?`, [id]);
    expect((await page(id, at('2026-11-01T12:59:59Z'))).queued).toBe(0);
    expect((await recipients(id))[c]).toMatchObject({ state: 'pending', notBefore: '2026-11-01T13:00:00.000Z' });
    expect((await page(id, at('2026-11-01T13:00:00Z'))).queued).toBe(1);
  });
});

describe('state rules', () => {
  it('holds a Florida recipient at 20:00 local until 08:00 next day, while New York (until 21:00) is sent', async () => {
    const fl = await contact(freshPhone('+1305'));
    const ny = await contact(freshPhone('+1212'));
    const id = await runningCampaign(await listOf([fl, ny]));
    // 2026-01-15 01:00 UTC is 20:00 EST on the 14th in both.
    expect(await page(id, at('2026-01-15T01:00:00Z'))).toMatchObject({ queued: 1, deferred: 1 });
    expect(await recipients(id)).toEqual({
      [fl]: { state: 'pending', notBefore: '2026-01-15T13:00:00.000Z', wait: 'quiet_hours', skip: null },
      [ny]: { state: 'queued', notBefore: null, wait: null, skip: null },
    });
  });

  it("holds a Florida recipient's fourth marketing message within 24 h until the first is 24 h old; New York has no cap", async () => {
    const fl = await contact(freshPhone('+1305'));
    const ny = await contact(freshPhone('+1212'));
    const list = await listOf([fl, ny]);
    // Three campaigns an hour apart from 2026-02-10 14:00 UTC (09:00 EST), each sent to both.
    const t0 = at('2026-02-10T14:00:00Z');
    for (let i = 0; i < 3; i++) {
      const earlier = await runningCampaign(list);
      expect((await page(earlier, new Date(t0.getTime() + i * 3600_000))).queued).toBe(2);
    }
    const fourth = await runningCampaign(list);
    const result = await page(fourth, new Date(t0.getTime() + 3 * 3600_000));
    expect(result).toMatchObject({ queued: 1, deferred: 1, waiting: 1, waitingMessageCap: 1 });
    expect(await recipients(fourth)).toEqual({
      [fl]: { state: 'pending', notBefore: '2026-02-11T14:00:00.000Z', wait: 'message_cap', skip: null },
      [ny]: { state: 'queued', notBefore: null, wait: null, skip: null },
    });
    // At the instant the first is 24 h old, two remain in the trailing 24 h: the fourth goes.
    await sql(`update campaign_recipients set not_before = null where campaign_id = ?`, [fourth]);
    expect((await page(fourth, at('2026-02-11T13:59:59Z'))).queued).toBe(0);
    expect((await page(fourth, at('2026-02-11T14:00:00Z'))).queued).toBe(1);
    expect((await messagesOf(fourth)).map((m) => new Date(m.created_at).toISOString()).sort()).toEqual([
      '2026-02-10T17:00:00.000Z',
      '2026-02-11T14:00:00.000Z',
    ]);
    // A replayed page (the row pending again) does not count the campaign's own message against it.
    await sql(`update campaign_recipients set state = 'pending', message_id = null where campaign_id = ? and contact_id = ?`, [fourth, fl]);
    expect((await page(fourth, at('2026-02-11T14:00:01Z'))).queued).toBe(1);
    expect(await messagesOf(fourth)).toHaveLength(2);
  });

  it("counts a concurrent campaign's message to the same number: the page waits for the number's lock", async () => {
    const fl = await contact(freshPhone('+1305'));
    const [{ phone_hash: hash }] = (await sql<{ phone_hash: Buffer }>('select phone_hash from contacts where id = ?', [fl])) as [
      { phone_hash: Buffer },
    ];
    const id = await runningCampaign(await listOf([fl]));
    const t0 = at('2026-03-03T15:00:00Z'); // 10:00 EST
    const sent = (ago: number) => new Date(t0.getTime() - ago * 60_000);
    const insert = `insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, campaign_id, created_at, sent_at, updated_at)
      values (gen_random_uuid(), $1, 'outbound', 'campaign', $2, $3, 'GSM-7', 1, 'delivered', gen_random_uuid(), $4, $4, $4)`;
    for (const ago of [120, 90]) await h.deps.pgPool.query(insert, [acct.accountId, hash, FROM, sent(ago)]);
    // Another campaign's page holds the number's lock and is writing the third message.
    const other = await h.deps.pgPool.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtextextended('campaign-cap:' || $1 || ':' || encode($2::bytea, 'hex'), 0))`, [
        acct.accountId,
        hash,
      ]);
      await other.query(insert, [acct.accountId, hash, FROM, sent(30)]);
      const pending = page(id, t0);
      await waitFor(
        () => sql<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`),
        (rows) => rows[0]!.n > 0,
        10_000,
        20,
      );
      await other.query('commit');
      expect(await pending).toMatchObject({ queued: 0, deferred: 1, waitingMessageCap: 1 });
    } finally {
      other.release();
    }
    expect((await recipients(id))[fl]).toMatchObject({ state: 'pending', notBefore: '2026-03-04T13:00:00.000Z', wait: 'message_cap' });
  });

  it('reads the state from the contact attribute over the area code', async () => {
    const c = await contact(freshPhone('+1212'), { state: 'CT' });
    const id = await runningCampaign(await listOf([c]));
    // 13:30 UTC is 08:30 EST: open in New York, shut in Connecticut (09:00).
    await page(id, at('2026-01-20T13:30:00Z'));
    expect((await recipients(id))[c]).toMatchObject({ state: 'pending', notBefore: '2026-01-20T14:00:00.000Z', wait: 'quiet_hours' });
  });
});

describe('sender removed after launch', () => {
  it('writes nothing and claims no one once the sender number is removed', async () => {
    const c = await contact(freshPhone('+1212'));
    const from = await obtainSenderNumber(h, acct);
    const id = await runningCampaign(await listOf([c]), { from });
    const numbers = (await api().get('/v1/sender-numbers?limit=100').set(acct.auth)).body.data as { id: string; phone: string }[];
    const number = numbers.find((n) => n.phone === from)!;
    expect((await api().delete(`/v1/sender-numbers/${number.id}`).set(acct.auth)).status).toBe(202);
    expect(await page(id, at('2026-06-15T15:00:00Z'))).toMatchObject({ stopped: true, senderUnavailable: true, queued: 0 });
    expect(await recipients(id)).toEqual({ [c]: { state: 'pending', notBefore: null, wait: null, skip: null } });
    expect(await messagesOf(id)).toEqual([]);
    // Released at the carriers (as number-release would; this file runs no messaging worker), then
    // ordered again by its last owner, the campaign sends from it.
    expect(await advanceNumber(h.deps.pgPool, number.id, ['releasing'], 'released')).toBe(true);
    await obtainSenderNumber(h, acct, { phone: from });
    expect(await page(id, at('2026-06-15T15:00:00Z'))).toMatchObject({ stopped: false, senderUnavailable: false, queued: 1 });
  });
});
