import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneHash } from '../lib/crypto/phone-hash';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';

let h: Harness;
let acct: TestAccount;
let other: TestAccount;
let FROM = '';
let OTHER_FROM = '';

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);
const send = (body: object, account = acct) => request(h.app).post('/v1/messages').set(account.auth).send(body);

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Sender Co');
  other = await signUp(h.app, 'Other Co');
  FROM = await obtainSenderNumber(h, acct);
  OTHER_FROM = await obtainSenderNumber(h, other);
});
afterAll(() => h.close());

describe('messaging settings', () => {
  it('defaults come from the account name; PUT replaces both, null restores the default; audited', async () => {
    const account = await signUp(h.app, 'Bakery Ltd');
    const initial = await request(h.app).get('/v1/account/messaging').set(account.auth);
    expect(initial.body).toEqual({
      companyName: null,
      helpText: null,
      effectiveCompanyName: 'Bakery Ltd',
      effectiveHelpText: 'Bakery Ltd: Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.',
      updatedAt: null,
    });
    const put = await request(h.app).put('/v1/account/messaging').set(account.auth).send({ companyName: 'Bakery', helpText: null });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      companyName: 'Bakery',
      helpText: null,
      effectiveHelpText: 'Bakery: Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.',
    });
    const custom = await request(h.app)
      .put('/v1/account/messaging')
      .set(account.auth)
      .send({ companyName: null, helpText: 'Call 555 0100 for help' });
    expect(custom.body).toMatchObject({
      companyName: null,
      effectiveCompanyName: 'Bakery Ltd',
      effectiveHelpText: 'Call 555 0100 for help',
    });
    const tooLong = await request(h.app)
      .put('/v1/account/messaging')
      .set(account.auth)
      .send({ companyName: null, helpText: 'x'.repeat(321) });
    expectProblem(tooLong, 422, 'validation');
    const audit = await sql<{ n: number }>(
      `select count(*)::int as n from audit_log where account_id = ? and action = 'messaging_settings.updated'`,
      [account.accountId],
    );
    expect(audit[0]!.n).toBe(2);
  });
});

describe('POST /v1/messages', () => {
  it('queues a message with its number and body sealed, encoding and segments computed, and answers 202 as GET renders it', async () => {
    const to = freshPhone();
    const body = 'Your order has shipped';
    const res = await send({ to, from: FROM, body });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      direction: 'outbound',
      kind: 'api',
      status: 'queued',
      to,
      from: FROM,
      body,
      encoding: 'GSM-7',
      segments: 1,
      carrier: null,
      campaignId: null,
      error: null,
      attempts: [],
    });
    const got = await request(h.app).get(`/v1/messages/${res.body.id}`).set(acct.auth);
    expect(got.body).toEqual(res.body);

    const [row] = await sql<{
      recipient_hash: Buffer;
      recipient_pii: Buffer;
      body: Buffer;
      status: string;
      due: boolean;
      row_text: string;
    }>(
      `select m.recipient_hash, m.recipient_pii, b.body, m.status, m.next_attempt_at <= now() as due, m::text || b::text as row_text
         from messages m join message_bodies b on b.message_id = m.id where m.id = ?`,
      [res.body.id],
    );
    expect(row!.status).toBe('queued');
    expect(row!.due).toBe(true);
    expect(row!.recipient_hash.equals(phoneHash(h.deps.keys.phoneHashKey, to))).toBe(true);
    for (const clear of [to, to.slice(2), body]) {
      expect(row!.row_text).not.toContain(clear);
      expect(row!.recipient_pii.toString('latin1')).not.toContain(clear);
      expect(row!.body.toString('latin1')).not.toContain(clear);
    }
  });

  it('counts UCS-2 and multi-segment bodies (an emoji makes it UCS-2; 161 GSM characters are 2 segments)', async () => {
    const emoji = await send({ to: freshPhone(), from: FROM, body: 'Thanks 🙂' });
    expect(emoji.body).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    const long = await send({ to: freshPhone(), from: FROM, body: 'a'.repeat(161) });
    expect(long.body).toMatchObject({ encoding: 'GSM-7', segments: 2 });
  });

  it('refuses a sender number that is not this account’s (422 naming the rule), including another account’s', async () => {
    for (const from of ['+14155559999', OTHER_FROM]) {
      const res = await send({ to: freshPhone(), from, body: 'hi' });
      expectProblem(res, 422, 'sender_not_registered');
      expect(res.body.errors).toEqual([{ field: 'from', reason: 'not a registered sender number of this account' }]);
    }
  });

  it('refuses an opted-out recipient and a restricted one with their own problem types, writing nothing', async () => {
    const optedOut = freshPhone();
    expect((await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: optedOut })).status).toBe(201);
    const restricted = freshPhone();
    await sql(`insert into recipient_restrictions (account_id, phone_hash, reason, created_at) values (?, ?, 'dsr', now())`, [
      acct.accountId,
      phoneHash(h.deps.keys.phoneHashKey, restricted),
    ]);
    const before = await sql<{ n: number }>('select count(*)::int as n from messages where account_id = ?', [acct.accountId]);
    expectProblem(await send({ to: optedOut, from: FROM, body: 'hi' }), 422, 'recipient_opted_out');
    expectProblem(await send({ to: restricted, from: FROM, body: 'hi' }), 422, 'recipient_restricted');
    // Another account's opt-out of the same number does not block this one... and vice versa.
    expect((await send({ to: optedOut, from: OTHER_FROM, body: 'hi' }, other)).status).toBe(202);
    const after = await sql<{ n: number }>('select count(*)::int as n from messages where account_id = ?', [acct.accountId]);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('validates to, from and body with 422 naming the field', async () => {
    const cases: [object, string][] = [
      [{ to: 'call me', from: FROM, body: 'hi' }, 'to'],
      [{ to: freshPhone(), from: '12', body: 'hi' }, 'from'],
      [{ to: freshPhone(), from: FROM, body: '   ' }, 'body.body'],
      [{ to: freshPhone(), from: FROM, body: 'x'.repeat(1601) }, 'body.body'],
      [{ to: freshPhone(), from: FROM, body: '' }, 'body.body'],
    ];
    for (const [body, field] of cases) {
      const res = await send(body);
      expectProblem(res, 422, 'validation');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('Idempotency-Key: a repeat answers the same message (re-rendered), writes no second row, and stores no number or body', async () => {
    const to = freshPhone();
    const body = 'Idempotent hello';
    const key = `msg-${Date.now()}`;
    const post = () => request(h.app).post('/v1/messages').set(acct.auth).set('Idempotency-Key', key).send({ to, from: FROM, body });
    const first = await post();
    expect(first.status).toBe(202);
    const second = await post();
    expect(second.status).toBe(202);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    const rows = await sql<{ n: number }>('select count(*)::int as n from messages where recipient_hash = ?', [
      phoneHash(h.deps.keys.phoneHashKey, to),
    ]);
    expect(rows[0]!.n).toBe(1);
    const [stored] = await sql<{
      key: string;
      response_sealed: Buffer | null;
      resource_type: string;
      resource_id: string;
      row_text: string;
    }>(
      `select key, response_sealed, resource_type, resource_id, t::text as row_text from idempotency_keys t where account_id = ? and key = ?`,
      [acct.accountId, key],
    );
    expect(stored).toMatchObject({ resource_type: 'message', resource_id: first.body.id, response_sealed: null });
    expect(stored!.row_text).not.toContain(to.slice(2));
    expect(stored!.row_text).not.toContain(body);
  });
});

describe('concurrent sends, written together', () => {
  it("one account's refusal (its data key erased) answers only its own requests, never another account's in the same write", async () => {
    const erased = await signUp(h.app, 'Erased');
    const erasedFrom = await obtainSenderNumber(h, erased);
    await h.deps.orm.em.fork().transactional((em) => h.deps.keyring.destroy(em, erased.accountId));
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? send({ to: freshPhone(), from: erasedFrom, body: `erased ${i}` }, erased)
          : send({ to: freshPhone(), from: FROM, body: `live ${i}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 410 : 202)));
    expect(answers[0]!.body.type).toBe('https://massivesms.dev/problems/data_key_destroyed');
    const live = answers.filter((_, i) => i % 2 === 1).map((a) => a.body.id as string);
    expect(
      (await sql<{ n: number }>('select count(*)::int as n from messages where id = any(?::uuid[])', [`{${live.join(',')}}`]))[0]!.n,
    ).toBe(6);
    expect((await sql<{ n: number }>('select count(*)::int as n from messages where account_id = ?', [erased.accountId]))[0]!.n).toBe(0);
  });
});

describe('POST /v1/messages/batch', () => {
  it('answers every item on its own, in order, and writes the valid ones', async () => {
    const optedOut = freshPhone();
    await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: optedOut });
    const good = [freshPhone(), freshPhone()];
    const res = await request(h.app)
      .post('/v1/messages/batch')
      .set(acct.auth)
      .send({
        messages: [
          { to: good[0], from: FROM, body: 'one' },
          { to: 'nope', from: FROM, body: 'two' },
          { to: optedOut, from: FROM, body: 'three' },
          { to: good[1], from: FROM, body: 'four 🙂' },
          { to: good[1], from: OTHER_FROM, body: 'five' },
          { to: good[1], from: FROM },
          'not an object',
        ],
      });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(5);
    const results = res.body.results as { index: number; id?: string; error?: { type: string; fields: { field: string }[] } }[];
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results[0]).toMatchObject({ id: expect.any(String), status: 'queued', segments: 1 });
    expect(results[1]!.error).toMatchObject({ type: 'https://massivesms.dev/problems/validation', fields: [{ field: 'to' }] });
    expect(results[2]!.error!.type).toBe('https://massivesms.dev/problems/recipient_opted_out');
    expect(results[3]).toMatchObject({ id: expect.any(String), status: 'queued', segments: 1 });
    expect(results[4]!.error!.type).toBe('https://massivesms.dev/problems/sender_not_registered');
    expect(results[5]!.error).toMatchObject({ type: 'https://massivesms.dev/problems/validation', fields: [{ field: 'body' }] });
    expect(results[6]!.error!.type).toBe('https://massivesms.dev/problems/validation');

    const one = await request(h.app).get(`/v1/messages/${results[3]!.id}`).set(acct.auth);
    expect(one.body).toMatchObject({ to: good[1], body: 'four 🙂', encoding: 'UCS-2', status: 'queued' });
  });

  it('takes up to 1,000 items in one request; 1,001 is refused whole', async () => {
    const to = freshPhone();
    const items = Array.from({ length: 1000 }, (_, i) => ({ to, from: FROM, body: `n${i}` }));
    const res = await request(h.app).post('/v1/messages/batch').set(acct.auth).send({ messages: items });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1000);
    expect(new Set(res.body.results.map((r: { id: string }) => r.id)).size).toBe(1000);
    const tooMany = await request(h.app)
      .post('/v1/messages/batch')
      .set(acct.auth)
      .send({ messages: [...items, items[0]] });
    expectProblem(tooMany, 422, 'validation');
  });
});

describe('GET /v1/messages', () => {
  it('shows every attempt of a message, and null for a purged body', async () => {
    const sent = await send({ to: freshPhone(), from: FROM, body: 'attempted' });
    const id = sent.body.id as string;
    await sql(
      `insert into message_attempts (id, message_id, account_id, carrier, outcome, error_code, created_at, completed_at) values
         (gen_random_uuid(), ?, ?, 'telnyx', 'transient', '10007', now() - interval '2 seconds', now() - interval '2 seconds'),
         (gen_random_uuid(), ?, ?, 'twilio', 'accepted', null, now() - interval '1 second', now())`,
      [id, acct.accountId, id, acct.accountId],
    );
    await sql(`update messages set status = 'sent', carrier = 'twilio' where id = ?`, [id]);
    await sql(`delete from message_bodies where message_id = ?`, [id]);
    const got = await request(h.app).get(`/v1/messages/${id}`).set(acct.auth);
    expect(got.body).toMatchObject({ status: 'sent', carrier: 'twilio', body: null });
    expect(
      got.body.attempts.map((a: { carrier: string; outcome: string; errorCode: string | null }) => [a.carrier, a.outcome, a.errorCode]),
    ).toEqual([
      ['telnyx', 'transient', '10007'],
      ['twilio', 'accepted', null],
    ]);
  });

  it('lists newest first with cursor pages and filters on status, to, from, direction, time and campaign', async () => {
    const account = await signUp(h.app, 'Lister');
    const from = await obtainSenderNumber(h, account);
    const to = freshPhone();
    const ids: string[] = [];
    for (const body of ['a', 'b', 'c']) ids.push((await send({ to, from, body }, account)).body.id);
    const otherTo = freshPhone();
    ids.push((await send({ to: otherTo, from, body: 'd' }, account)).body.id);
    await sql(`update messages set status = 'delivered' where id = ?`, [ids[1]]);
    const list = async (query: Record<string, string>) => {
      const res = await request(h.app).get('/v1/messages').set(account.auth).query(query);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { data: { id: string; body: string; to: string }[]; nextCursor: string | null };
    };
    const page1 = await list({ limit: '3' });
    expect(page1.data.map((m) => m.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(page1.data[0]).toMatchObject({ to: otherTo, body: 'd' });
    const page2 = await list({ limit: '3', cursor: page1.nextCursor! });
    expect(page2.data.map((m) => m.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
    expect((await list({ to: to.replace('+1', '') })).data.map((m) => m.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect((await list({ status: 'delivered' })).data.map((m) => m.id)).toEqual([ids[1]]);
    expect((await list({ from })).data).toHaveLength(4);
    expect((await list({ from: FROM })).data).toHaveLength(0);
    expect((await list({ direction: 'inbound' })).data).toHaveLength(0);
    expect((await list({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).data).toHaveLength(0);
    expect((await list({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).data).toHaveLength(4);
    expect((await list({ campaignId: '00000000-0000-7000-8000-000000000000' })).data).toHaveLength(0);
    expectProblem(await request(h.app).get('/v1/messages').set(account.auth).query({ to: 'garbage' }), 422, 'validation');
    expectProblem(await request(h.app).get('/v1/messages').set(account.auth).query({ status: 'lost' }), 422, 'validation');
  });
});
