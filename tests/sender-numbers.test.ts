import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBER_QUARANTINE_DAYS } from '../services/messaging/sender-number-store';
import { numberOrderStatusQuery, numberOrderWorkflowId, recheckHostingSignal } from '../workflows/numbers/number-order';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { inventoryPhone, obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/webhook-receiver';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

let stack: WebhookStack;
let a: TestAccount;
let b: TestAccount;

const api = () => request(stack.h.app);
const sql = <T>(query: string, params: unknown[] = []) => stack.h.deps.orm.em.fork().execute<T[]>(query, params);
const numberOf = async (account: TestAccount, id: string) => (await api().get(`/v1/sender-numbers/${id}`).set(account.auth)).body;
const untilStatus = (account: TestAccount, id: string, status: string) =>
  waitFor(async () => ((await numberOf(account, id)).status === status ? true : undefined), `number ${id} ${status}`, 30_000);

async function order(account: TestAccount, phone: string): Promise<string> {
  const res = await api().post('/v1/sender-numbers').set(account.auth).send({ phone });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

async function attemptsOf(messageId: string) {
  return sql<{ carrier: string; outcome: string }>('select carrier, outcome from message_attempts where message_id = ? order by id', [
    messageId,
  ]);
}

beforeAll(async () => {
  stack = await startWebhookStack({ messaging: true, env: { DISPATCH_SHARDS: '1' } });
  a = await signUp(stack.h.app, 'Numbers A');
  b = await signUp(stack.h.app, 'Numbers B');
});
afterAll(() => stack?.close());

describe('ordering a number', () => {
  it('searches the inventory, orders at Telnyx, configures messaging, hosts SMS at Twilio, and ends active', async () => {
    const found = await api().get('/v1/available-numbers?areaCode=737&limit=5').set(a.auth);
    expect(found.status).toBe(200);
    expect(found.body.data).toHaveLength(5);
    for (const { phone } of found.body.data as { phone: string }[]) expect(phone).toMatch(/^\+17379\d{6}$/);
    const phone = (found.body.data as { phone: string }[])[0]!.phone;

    const ordered = await api().post('/v1/sender-numbers').set(a.auth).send({ phone, label: 'Support' });
    expect(ordered.status).toBe(202);
    expect(ordered.body).toMatchObject({ phone, label: 'Support', status: 'ordering', failureReason: null, releasedAt: null });
    await untilStatus(a, ordered.body.id, 'active');

    const held = await stack.sim.control.numbers(phone);
    expect(held.telnyxNumbers.map((n) => [n.status, n.messagingProfileId])).toEqual([['active', 'massivesms-default']]);
    expect(held.telnyxOrders.map((o) => [o.status, o.customerReference])).toEqual([['success', ordered.body.id]]);
    expect(held.hostedOrders.map((o) => [o.status, o.friendlyName])).toEqual([['completed', ordered.body.id]]);
    expect(held.twilioNumbers.map((n) => n.origin)).toEqual(['hosted']);
    const status = await stack.h.temporal.workflow.getHandle(numberOrderWorkflowId(ordered.body.id)).query(numberOrderStatusQuery);
    expect(status).toMatchObject({ phase: 'active', failure: null, nextHostingCheckAtMs: null });

    // The same order again is the same number; another account is refused.
    const again = await api().post('/v1/sender-numbers').set(a.auth).send({ phone });
    expect([again.status, again.body.id]).toEqual([200, ordered.body.id]);
    expectProblem(await api().post('/v1/sender-numbers').set(b.auth).send({ phone }), 409, 'conflict');
    // The searches of every account leave held numbers out.
    const later = await api().get('/v1/available-numbers?areaCode=737&limit=5').set(b.auth);
    expect((later.body.data as { phone: string }[]).map((n) => n.phone)).not.toContain(phone);
  });

  it('orders the first available number of an area code', async () => {
    const res = await api().post('/v1/sender-numbers').set(a.auth).send({ areaCode: '872' });
    expect(res.status).toBe(202);
    expect(res.body.phone).toMatch(/^\+18729\d{6}$/);
    await untilStatus(a, res.body.id, 'active');
  });

  it('cannot register a number it did not order: a number outside the carrier inventory fails its order and never sends', async () => {
    const arbitrary = freshPhone();
    const id = await order(a, arbitrary);
    await untilStatus(a, id, 'order_failed');
    expect((await numberOf(a, id)).failureReason).toBe('85001');
    const sent = await api().post('/v1/messages').set(a.auth).send({ from: arbitrary, to: freshPhone(), body: 'hello' });
    expectProblem(sent, 422, 'sender_not_registered');
    // Nor may it send from a number another account holds.
    const theirs = await obtainSenderNumber(stack.h, b, { sim: stack.sim });
    expectProblem(
      await api().post('/v1/messages').set(a.auth).send({ from: theirs, to: freshPhone(), body: 'hi' }),
      422,
      'sender_not_registered',
    );
  });
});

describe('releasing a number', () => {
  it(`is quarantined for ${NUMBER_QUARANTINE_DAYS} days: another account's order is refused, its last owner may take it back`, async () => {
    const phone = inventoryPhone('512');
    const id = await order(a, phone);
    await untilStatus(a, id, 'active');
    const released = await api().delete(`/v1/sender-numbers/${id}`).set(a.auth);
    expect(released.status).toBe(202);
    expect(released.body.status).toBe('releasing');
    await untilStatus(a, id, 'released');
    // Given back at both carriers: Telnyx sells it again.
    const atCarriers = await stack.sim.control.numbers(phone);
    expect([atCarriers.telnyxNumbers, atCarriers.twilioNumbers]).toEqual([[], []]);

    expectProblem(await api().post('/v1/sender-numbers').set(b.auth).send({ phone }), 409, 'conflict');
    await sql(`update sender_numbers set released_at = now() - interval '89 days' where id = ?`, [id]);
    expectProblem(await api().post('/v1/sender-numbers').set(b.auth).send({ phone }), 409, 'conflict');
    await sql(`update sender_numbers set released_at = now() - interval '91 days' where id = ?`, [id]);
    const theirs = await order(b, phone);
    await untilStatus(b, theirs, 'active');
  });

  it('a STOP sent to a released (quarantined) number is kept against its last owner', async () => {
    const phone = await obtainSenderNumber(stack.h, a, { via: 'order' });
    const id = (
      await sql<{ id: string }>('select id from sender_numbers where phone_e164 = ? and account_id = ?', [phone, a.accountId])
    )[0]!.id;
    expect((await api().delete(`/v1/sender-numbers/${id}`).set(a.auth)).status).toBe(202);
    await untilStatus(a, id, 'released');
    const person = freshPhone();
    expect((await stack.sim.control.inbound({ vendor: 'telnyx', from: person, to: phone, text: 'STOP' })).status).toBe(200);
    const optOuts = await api().get('/v1/opt-outs').set(a.auth);
    expect((optOuts.body.data as { phone: string }[]).map((o) => o.phone)).toContain(person);
    const stored = await sql<{ account_id: string; status: string }>(
      `select account_id, status from messages where direction = 'inbound' and sender = ? order by id`,
      [phone],
    );
    expect(stored).toEqual([{ account_id: a.accountId, status: 'received' }]);
    // The confirmation would go out from a number the account no longer holds: suppressed, never sent.
    const reply = await waitFor(
      async () =>
        (
          await sql<{ status: string; error_code: string | null }>(
            `select status, error_code from messages where kind = 'keyword_reply' and sender = ? and status not in ('queued', 'sending')`,
            [phone],
          )
        )[0],
      'the STOP confirmation settled',
    );
    expect(reply).toEqual({ status: 'suppressed', error_code: 'sender_released' });
    expect((await stack.sim.control.ledger({ to: person })).total).toBe(0);
  });

  it('a message queued from a number that is then released is suppressed (sender_released), never sent', async () => {
    const phone = await obtainSenderNumber(stack.h, a, { sim: stack.sim });
    const to = freshPhone();
    await stack.sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } },
        { vendor: 'twilio', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } },
      ],
    });
    try {
      const queued = await api().post('/v1/messages').set(a.auth).send({ from: phone, to, body: 'your code is 1234' });
      expect(queued.status).toBe(202);
      await waitFor(async () => ((await attemptsOf(queued.body.id)).length >= 2 ? true : undefined), 'both carriers tried');
      const id = (
        await sql<{ id: string }>('select id from sender_numbers where phone_e164 = ? and account_id = ?', [phone, a.accountId])
      )[0]!.id;
      expect((await api().delete(`/v1/sender-numbers/${id}`).set(a.auth)).status).toBe(202);
      await stack.sim.control.clearFaults();
      const settled = await waitFor(async () => {
        const msg = (await api().get(`/v1/messages/${queued.body.id}`).set(a.auth)).body;
        return msg.status === 'queued' || msg.status === 'sending' ? undefined : msg;
      }, 'the queued message settled');
      expect(settled.status).toBe('suppressed');
      const row = await sql<{ error_code: string }>('select error_code from messages where id = ?', [queued.body.id]);
      expect(row).toEqual([{ error_code: 'sender_released' }]);
      expect((await stack.sim.control.ledger({ to })).total).toBe(0);
    } finally {
      await stack.sim.control.clearFaults();
    }
  });
});

describe('failover before Twilio hosts the number', () => {
  it('a message Telnyx cannot take waits (requeued, never sent through Twilio) until hosting completes', async () => {
    await stack.sim.control.numberTimings({ hostedSmsDelayMs: null });
    const phone = inventoryPhone('646');
    const id = await order(a, phone);
    await untilStatus(a, id, 'failover_pending');
    const to = freshPhone();
    await stack.sim.control.setFaults({ rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }] });
    try {
      const queued = await api().post('/v1/messages').set(a.auth).send({ from: phone, to, body: 'waiting for twilio' });
      expect(queued.status).toBe(202);
      // An attempt is written 'pending' before its call: the next one may be in flight while these are read.
      const attempts = await waitFor(async () => {
        const rows = await attemptsOf(queued.body.id);
        return rows.filter((r) => r.outcome !== 'pending').length >= 2 ? rows : undefined;
      }, 'two Telnyx attempts answered');
      expect(attempts.every((r) => r.carrier === 'telnyx' && ['transient', 'pending'].includes(r.outcome))).toBe(true);
      expect(['queued', 'sending']).toContain((await api().get(`/v1/messages/${queued.body.id}`).set(a.auth)).body.status);
      expect((await stack.sim.control.ledger({ to })).total).toBe(0);

      // Hosting completes: the workflow's next check makes the number active; Twilio takes the message.
      expect((await stack.sim.control.completeHosting(phone)).completed).toBe(1);
      await stack.h.temporal.workflow.getHandle(numberOrderWorkflowId(id)).signal(recheckHostingSignal);
      await untilStatus(a, id, 'active');
      const sent = await waitFor(
        async () => {
          const entries = (await stack.sim.control.ledger({ to })).entries;
          return entries.length > 0 ? entries : undefined;
        },
        'the message sent',
        30_000,
      );
      expect(sent.map((e) => [e.vendor, e.from])).toEqual([['twilio', phone]]);
    } finally {
      await stack.sim.control.clearFaults();
      await stack.sim.control.numberTimings({ hostedSmsDelayMs: 0 });
    }
  });
});
