import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneHash } from '../lib/crypto/phone-hash';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/outbox';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * Inbound SMS through the real endpoints: the simulator signs each message as its vendor would and
 * posts it to /webhooks/telnyx or /webhooks/twilio/inbound. No dispatcher runs here, so keyword
 * replies and suppressed messages stay where the inbound path left them.
 */
let stack: WebhookStack;
let acct: TestAccount;
let OUR = '';

const sql = <T>(query: string, params: unknown[] = []) => stack.h.deps.orm.em.fork().execute<T[]>(query, params);
const hashOf = (e164: string) => phoneHash(stack.h.deps.keys.phoneHashKey, e164);

async function inbound(vendor: 'telnyx' | 'twilio', from: string, text: string, to = OUR): Promise<number | null> {
  return (await stack.sim.control.inbound({ vendor, from, to, text })).status;
}

async function outboxTo(phone: string) {
  return sql<{ id: string; kind: string; status: string; sender: string }>(
    `select id, kind, status, sender from messages where account_id = ? and recipient_hash = ? and direction = 'outbound' order by id`,
    [acct.accountId, hashOf(phone)],
  );
}

async function repliesTo(phone: string): Promise<{ id: string; body: string; from: string; status: string }[]> {
  const rows = (await outboxTo(phone)).filter((r) => r.kind === 'keyword_reply');
  const replies = [];
  for (const r of rows) {
    const got = await request(stack.h.app).get(`/v1/messages/${r.id}`).set(acct.auth);
    replies.push({ id: r.id, body: got.body.body as string, from: got.body.from as string, status: got.body.status as string });
  }
  return replies;
}

beforeAll(async () => {
  stack = await startWebhookStack();
  acct = await signUp(stack.h.app, 'Keyword Shop');
  OUR = await obtainSenderNumber(stack.h, acct, { sim: stack.sim });
});
afterAll(() => stack?.close());

describe('inbound messages', () => {
  it('an ordinary reply is stored (number and body sealed) and readable through the API as inbound', async () => {
    const from = freshPhone();
    expect(await inbound('telnyx', from, 'What time do you open?')).toBe(200);
    const list = await request(stack.h.app).get('/v1/messages').set(acct.auth).query({ direction: 'inbound', to: from });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      direction: 'inbound',
      kind: 'inbound',
      status: 'received',
      from,
      to: OUR,
      body: 'What time do you open?',
    });
    const [row] = await sql<{ row_text: string }>('select m::text as row_text from messages m where id = ?', [list.body.data[0].id]);
    expect(row!.row_text).not.toContain(from.slice(2));
    expect(row!.row_text).not.toContain('What time');
    expect(await repliesTo(from)).toEqual([]);
  });

  it('a message to a number no account holds is answered 200 and stored nowhere', async () => {
    const before = await sql<{ n: number }>('select count(*)::int as n from messages');
    expect(await inbound('twilio', freshPhone(), 'STOP', '+14155550199')).toBe(200);
    expect((await sql<{ n: number }>('select count(*)::int as n from messages'))[0]!.n).toBe(before[0]!.n);
  });

  for (const vendor of ['telnyx', 'twilio'] as const) {
    it(`${vendor}: STOP opts out, suppresses every queued message to that number, and queues exactly one confirmation`, async () => {
      const from = freshPhone();
      const bystander = freshPhone();
      const queued: string[] = [];
      for (const body of ['one', 'two', 'three']) {
        queued.push((await request(stack.h.app).post('/v1/messages').set(acct.auth).send({ to: from, from: OUR, body })).body.id);
      }
      const other = (await request(stack.h.app).post('/v1/messages').set(acct.auth).send({ to: bystander, from: OUR, body: 'x' })).body.id;

      expect(await inbound(vendor, from, '  Stop ')).toBe(200);

      const optOuts = await request(stack.h.app).get('/v1/opt-outs').set(acct.auth);
      expect(optOuts.body.data.filter((o: { phone: string }) => o.phone === from)).toEqual([
        expect.objectContaining({ phone: from, source: 'inbound_keyword' }),
      ]);
      const outbox = await outboxTo(from);
      expect(outbox.filter((m) => queued.includes(m.id)).map((m) => m.status)).toEqual(['suppressed', 'suppressed', 'suppressed']);
      const replies = await repliesTo(from);
      expect(replies).toEqual([
        {
          id: expect.any(String),
          from: OUR,
          status: 'queued',
          body: 'Keyword Shop: You are unsubscribed and will receive no more messages. Reply START to resubscribe.',
        },
      ]);
      expect((await request(stack.h.app).get(`/v1/messages/${other}`).set(acct.auth)).body.status).toBe('queued');
      // A new message to the number is refused from now on.
      const refused = await request(stack.h.app).post('/v1/messages').set(acct.auth).send({ to: from, from: OUR, body: 'again' });
      expect(refused.status).toBe(422);

      // STOP again (a new carrier message, and another keyword of the set): stored, no second confirmation.
      expect(await inbound(vendor, from, 'unsubscribe')).toBe(200);
      expect(await repliesTo(from)).toHaveLength(1);
      const audit = await sql<{ actor_type: string; details: { source: string } }>(
        `select actor_type, details from audit_log where account_id = ? and action = 'opt_out.added' and target_id = ?`,
        [acct.accountId, optOuts.body.data.find((o: { phone: string }) => o.phone === from).id],
      );
      expect(audit).toEqual([{ actor_type: 'system', details: { source: 'inbound_keyword' } }]);
    });
  }

  it('two STOPs at the same moment confirm once', async () => {
    const from = freshPhone();
    const statuses = await Promise.all([inbound('telnyx', from, 'STOP'), inbound('twilio', from, 'stop')]);
    expect(statuses).toEqual([200, 200]);
    expect(await repliesTo(from)).toHaveLength(1);
  });

  it('keywords are whole messages, case- and whitespace-insensitive', async () => {
    const from = freshPhone();
    expect(await inbound('telnyx', from, 'please stop sending')).toBe(200);
    expect(await repliesTo(from)).toEqual([]);
    expect(await inbound('telnyx', from, '\tOpt  Out\n')).toBe(200);
    expect(await repliesTo(from)).toHaveLength(1);
  });

  it('HELP and INFO answer with the help text (the default, then the account’s own)', async () => {
    const from = freshPhone();
    const other = freshPhone();
    expect(await inbound('twilio', from, 'help')).toBe(200);
    await request(stack.h.app)
      .put('/v1/account/messaging')
      .set(acct.auth)
      .send({ companyName: null, helpText: 'Keyword Shop help: call us.' });
    expect(await inbound('telnyx', other, 'INFO')).toBe(200);
    expect((await repliesTo(from)).map((r) => r.body)).toEqual([
      'Keyword Shop: Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.',
    ]);
    expect((await repliesTo(other)).map((r) => r.body)).toEqual(['Keyword Shop help: call us.']);
    await request(stack.h.app).put('/v1/account/messaging').set(acct.auth).send({ companyName: null, helpText: null });
  });

  it('HELP is answered once per number per day: a second HELP or INFO within 24 hours gets no reply, a day later it does', async () => {
    const from = freshPhone();
    for (const text of ['HELP', 'help', 'INFO']) expect(await inbound('telnyx', from, text)).toBe(200);
    const replies = await repliesTo(from);
    expect(replies).toHaveLength(1);
    // A day later (the reply's time moved back, as the clock would) the budget is whole again.
    await sql(`update messages set created_at = created_at - interval '24 hours 1 second' where id = ?`, [replies[0]!.id]);
    expect(await inbound('twilio', from, 'HELP')).toBe(200);
    expect(await repliesTo(from)).toHaveLength(2);
  });

  it('two HELPs at the same moment are answered once', async () => {
    const from = freshPhone();
    const statuses = await Promise.all([inbound('telnyx', from, 'HELP'), inbound('twilio', from, 'INFO')]);
    expect(statuses).toEqual([200, 200]);
    expect(await repliesTo(from)).toHaveLength(1);
  });

  it('a HELP ping-pong between two accounts’ numbers stops at once: no keyword is answered to a platform number', async () => {
    const other = await signUp(stack.h.app, 'Echo Shop');
    const THEIRS = await obtainSenderNumber(stack.h, other, { sim: stack.sim });
    // Help texts saved before keywords were refused in them: each one is itself a HELP.
    for (const a of [acct, other]) {
      await sql(
        `insert into messaging_settings (account_id, company_name, help_text, updated_at) values (?, null, 'HELP', now())
                 on conflict (account_id) do update set help_text = 'HELP'`,
        [a.accountId],
      );
    }
    const side = { [OUR]: acct, [THEIRS]: other };
    const keywordReplies = async (a: TestAccount) =>
      sql<{ id: string }>(`select id from messages where account_id = ? and kind = 'keyword_reply' order by id`, [a.accountId]);
    const before = { [OUR]: (await keywordReplies(acct)).length, [THEIRS]: 0 };
    // Each reply one number queues is delivered to the other as an inbound message, as a carrier would.
    let message: { from: string; to: string; text: string } | null = { from: THEIRS, to: OUR, text: 'HELP' };
    let rounds = 0;
    while (message && rounds < 6) {
      rounds += 1;
      expect(await inbound(rounds % 2 ? 'telnyx' : 'twilio', message.from, message.text, message.to)).toBe(200);
      const answering: TestAccount = side[message.to]!;
      const replies = await keywordReplies(answering);
      if (replies.length === before[message.to]) message = null;
      else {
        before[message.to] = replies.length;
        const got: request.Response = await request(stack.h.app)
          .get(`/v1/messages/${replies.at(-1)!.id}`)
          .set(answering.auth);
        message = { from: message.to, to: message.from, text: got.body.body as string };
      }
    }
    expect(rounds).toBe(1);
    expect((await keywordReplies(other)).length).toBe(0);
    await sql(`delete from messaging_settings where account_id in (?, ?)`, [acct.accountId, other.accountId]);
  });

  it('a help text that is, or begins with, a keyword is refused (422) and the stored one is kept', async () => {
    await request(stack.h.app).put('/v1/account/messaging').set(acct.auth).send({ companyName: null, helpText: 'Keyword Shop: call us.' });
    for (const helpText of ['HELP', ' info ', 'Stop', 'opt out', 'STOP: to unsubscribe', 'Yes! We can help', 'Opt  Out below']) {
      const res = await request(stack.h.app).put('/v1/account/messaging').set(acct.auth).send({ companyName: null, helpText });
      expectProblem(res, 422, 'validation');
      expect(res.body.errors).toEqual([
        { field: 'body.helpText', reason: 'must not be or begin with a keyword (STOP, START, HELP, …): it could start a reply loop' },
      ]);
    }
    expect((await request(stack.h.app).get('/v1/account/messaging').set(acct.auth)).body.helpText).toBe('Keyword Shop: call us.');
    for (const helpText of ['Information desk: call 555-0100', 'Keyword Shop help: reply STOP to unsubscribe']) {
      const res = await request(stack.h.app).put('/v1/account/messaging').set(acct.auth).send({ companyName: null, helpText });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await request(stack.h.app).put('/v1/account/messaging').set(acct.auth).send({ companyName: null, helpText: null });
  });

  it('the account cannot remove a recipient’s own STOP (409): the number stays opted out and a send to it is refused', async () => {
    const from = freshPhone();
    expect(await inbound('twilio', from, 'STOP')).toBe(200);
    const optOut = (await request(stack.h.app).get('/v1/opt-outs').set(acct.auth)).body.data.find(
      (o: { phone: string }) => o.phone === from,
    );
    expect(optOut).toMatchObject({ source: 'inbound_keyword' });
    const removal = await request(stack.h.app).delete(`/v1/opt-outs/${optOut.id}`).set(acct.auth).send({ reason: 'they like us really' });
    expectProblem(removal, 409, 'opt_out_not_removable');
    expect(removal.body.detail).toBe('the recipient opted out by replying STOP: only the recipient can opt in again, by replying START');
    const kept = (await request(stack.h.app).get('/v1/opt-outs').set(acct.auth)).body.data.filter(
      (o: { phone: string }) => o.phone === from,
    );
    expect(kept).toEqual([optOut]);
    const send = await request(stack.h.app).post('/v1/messages').set(acct.auth).send({ to: from, from: OUR, body: 'we are back' });
    expectProblem(send, 422, 'recipient_opted_out');
    const audit = await sql<{ n: number }>(`select count(*)::int as n from audit_log where action = 'opt_out.removed' and target_id = ?`, [
      optOut.id,
    ]);
    expect(audit).toEqual([{ n: 0 }]);
  });

  it('START removes the opt-out (audited with its reason) and confirms; START without an opt-out says nothing', async () => {
    const from = freshPhone();
    expect(await inbound('telnyx', from, 'YES')).toBe(200);
    expect(await repliesTo(from)).toEqual([]);
    expect(await inbound('telnyx', from, 'STOP')).toBe(200);
    const optOutId = (await request(stack.h.app).get('/v1/opt-outs').set(acct.auth)).body.data.find(
      (o: { phone: string }) => o.phone === from,
    ).id;
    expect(await inbound('twilio', from, 'start')).toBe(200);
    expect((await request(stack.h.app).get('/v1/opt-outs').set(acct.auth)).body.data.some((o: { phone: string }) => o.phone === from)).toBe(
      false,
    );
    expect((await repliesTo(from)).map((r) => r.body)).toEqual([
      'Keyword Shop: You are unsubscribed and will receive no more messages. Reply START to resubscribe.',
      'Keyword Shop: You are subscribed again. Reply STOP to unsubscribe, HELP for help.',
    ]);
    const audit = await sql<{ actor_type: string; details: { reason: string } }>(
      `select actor_type, details from audit_log where action = 'opt_out.removed' and target_id = ?`,
      [optOutId],
    );
    expect(audit).toEqual([{ actor_type: 'system', details: { reason: 'inbound START' } }]);
    expect(
      (await request(stack.h.app).post('/v1/messages').set(acct.auth).send({ to: from, from: OUR, body: 'welcome back' })).status,
    ).toBe(202);
  });

  it('a message to an erased account (data key destroyed) is answered 200 and stored nowhere', async () => {
    const erased = await signUp(stack.h.app, 'Erased');
    const number = await obtainSenderNumber(stack.h, erased, { sim: stack.sim });
    await stack.h.deps.orm.em.fork().transactional((em) => stack.h.deps.keyring.destroy(em, erased.accountId));
    expect(await inbound('telnyx', freshPhone(), 'STOP', number)).toBe(200);
    expect((await sql<{ n: number }>('select count(*)::int as n from messages where account_id = ?', [erased.accountId]))[0]!.n).toBe(0);
  });

  it('a replayed inbound callback (same signed bytes) is answered 200 and applied once', async () => {
    const from = freshPhone();
    expect(await inbound('twilio', from, 'STOP')).toBe(200);
    const captured = await waitFor(
      () => stack.sim.control.callbacks(),
      (all) => all.some((c) => c.kind === 'inbound' && c.vendor === 'twilio' && c.answerStatus === 200),
      5_000,
    );
    const last = captured.filter((c) => c.kind === 'inbound' && c.vendor === 'twilio').at(-1)!;
    const replay = await fetch(last.url, { method: 'POST', headers: last.headers, body: last.body });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, replayed: true });
    expect(await repliesTo(from)).toHaveLength(1);
    const stored = await sql<{ n: number }>(`select count(*)::int as n from messages where recipient_hash = ? and direction = 'inbound'`, [
      hashOf(from),
    ]);
    expect(stored[0]!.n).toBe(1);
  });
});

describe('bad input on the carrier webhook endpoints → 4xx problem+json, never 5xx', () => {
  it('unsigned, garbage, empty and oversize bodies are refused', async () => {
    for (const path of ['/webhooks/telnyx', '/webhooks/twilio/status', '/webhooks/twilio/inbound']) {
      const url = `${stack.baseUrl}${path}`;
      const cases: [RequestInit, number][] = [
        [{ method: 'POST' }, 403],
        [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":' }, 403],
        [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'MessageSid=SM1&Body=STOP' }, 403],
        [
          { method: 'POST', headers: { 'telnyx-signature-ed25519': 'AAAA', 'telnyx-timestamp': 'soon' }, body: '{}' },
          path === '/webhooks/telnyx' ? 400 : 403,
        ],
        [{ method: 'POST', body: 'x'.repeat(70 * 1024) }, 413],
      ];
      for (const [init, status] of cases) {
        const res = await fetch(url, init);
        expect(res.status, `${path} ${JSON.stringify(init.headers)}`).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect((await fetch(url, { method: 'GET' })).status).toBe(405);
    }
  });
});
