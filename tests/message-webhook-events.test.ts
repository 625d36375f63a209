import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { WEBHOOK_EVENT_TYPES } from '../db/entities/webhook-endpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageInboundEventSchema, MessageStatusEventSchema } from '../api/schemas/webhook-events';
import { openDeliveryPayload } from '../services/webhooks/customer-events';
import type { FaultPlanInput } from '../simulator/types';
import { WEBHOOK_DELIVERIES_WORKFLOW_ID } from '../workflows/webhooks/webhook-deliveries';
import { signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor, WebhookReceiver, type ReceivedWebhook } from './support/webhook-receiver';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';
import { startWebhookDelivery } from './support/webhook-worker';

/**
 * Customer webhooks fed by message events, end to end: POST /v1/messages → the dispatcher (real
 * Temporal) → the official SDK → the simulator process, whose signed receipts and inbound messages
 * come back to /webhooks/*; the delivery workflow POSTs the events to a receiver on loopback, where
 * each is verified with the `standardwebhooks` package under its endpoint's secret.
 *
 * The simulator sends only the final receipt (callbacks mode 'final'), so a `sent` event can only
 * come from the dispatcher's own status write, and a `delivered` one only from the receipt.
 */
let stack: WebhookStack;
let delivery: { stop(): Promise<void> };
let receiver: WebhookReceiver;
let acct: TestAccount;
let bystander: TestAccount;
let OUR = '';
const endpoints: Record<'status' | 'inbound' | 'hold' | 'other', { id: string; secret: string }> = {} as never;

const h = () => stack.h;
const FINAL_RECEIPT_ONLY: FaultPlanInput['callbacks'] = { mode: 'final', delayMs: [400, 400] };
const sql = <T>(query: string, params: unknown[] = []) => h().deps.orm.em.fork().execute<T[]>(query, params);

async function createEndpoint(account: TestAccount, path: string, eventTypes: string[]) {
  const res = await request(h().app)
    .post('/v1/webhook-endpoints')
    .set(account.auth)
    .send({ url: receiver.url(path), eventTypes });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

/** Every request on `path`, each verified under `secret` (a bad signature throws), in the order they were signed. */
function verifiedAt(path: string, secret: string): { type: string; timestamp: string; data: Record<string, unknown> }[] {
  const verify = (r: ReceivedWebhook) =>
    new Webhook(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    }) as { type: string; timestamp: string; data: Record<string, unknown> };
  return receiver
    .on(path)
    .map(verify)
    .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

const eventsFor = (path: 'status' | 'inbound' | 'hold' | 'other', messageId: string) =>
  verifiedAt(`/${path}`, endpoints[path].secret).filter((e) => e.data.messageId === messageId);

/** A history's payload bytes (`data`) as text, whether they come as bytes or, as fetchHistory gives them, base64. */
function payloadText(key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v;
}

async function send(to: string, body: string): Promise<string> {
  const res = await request(h().app).post('/v1/messages').set(acct.auth).send({ to, from: OUR, body });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

beforeAll(async () => {
  stack = await startWebhookStack({
    env: { CARRIER_TIMEOUT_MS: '1000', DISPATCH_SHARDS: '1', WEBHOOKS_ALLOW_LOOPBACK: 'true' },
    messaging: true,
  });
  await stack.sim.control.setFaults({ callbacks: FINAL_RECEIPT_ONLY });
  delivery = await startWebhookDelivery(stack.h);
  receiver = await new WebhookReceiver().start();
  receiver.answer('/hold', 500); // its deliveries stay pending, payload and all, to look at them at rest
  acct = await signUp(h().app, 'Hooked Shop');
  bystander = await signUp(h().app, 'Bystander');
  OUR = await obtainSenderNumber(h(), acct, { sim: stack.sim });
  await obtainSenderNumber(h(), bystander, { sim: stack.sim });
  endpoints.status = await createEndpoint(acct, '/status', ['message.status']);
  endpoints.inbound = await createEndpoint(acct, '/inbound', ['message.inbound']);
  endpoints.hold = await createEndpoint(acct, '/hold', ['message.status', 'message.inbound']);
  endpoints.other = await createEndpoint(bystander, '/other', ['message.status', 'message.inbound']);
});
afterAll(async () => {
  // Later files share the database: a clocked delivery drain there must not meet /hold's pending deliveries.
  for (const [name, e] of Object.entries(endpoints)) {
    const owner = name === 'other' ? bystander : acct;
    expect((await request(h().app).delete(`/v1/webhook-endpoints/${e.id}`).set(owner.auth)).status).toBe(204);
  }
  await delivery?.stop();
  await receiver?.stop();
  await stack?.close();
});

describe('message.status', () => {
  it('sent (written by the dispatcher) then delivered (a signed carrier receipt), each signed for the endpoint, exact payloads', async () => {
    const id = await send(freshPhone(), 'Your table is ready');
    const events = await waitFor(() => {
      const got = eventsFor('status', id);
      return got.length >= 2 ? got : undefined;
    }, 'the sent and delivered events');
    expect(events).toEqual([
      {
        type: 'message.status',
        timestamp: expect.any(String),
        data: { messageId: id, status: 'sent', previousStatus: 'sending', carrier: 'telnyx', errorCode: null, campaignId: null },
      },
      {
        type: 'message.status',
        timestamp: expect.any(String),
        data: { messageId: id, status: 'delivered', previousStatus: 'sent', carrier: 'telnyx', errorCode: null, campaignId: null },
      },
    ]);
    for (const e of events) MessageStatusEventSchema.parse(e); // the shape the OpenAPI document promises
    // The carrier called back once (the final receipt): `sent` was the dispatcher's.
    const callbacks = await stack.sim.control.callbacks({ m: id });
    expect(callbacks.map((c) => [c.kind, c.event])).toEqual([['status', 'message.finalized']]);
    // Each event is one webhook-id, the same at every endpoint it went to.
    const ids = receiver
      .on('/status')
      .filter((r) => r.body.includes(id))
      .map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
    expect(eventsFor('inbound', id)).toEqual([]);
  });

  it('a permanent carrier refusal is announced as failed with the carrier code, by the dispatcher', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({
      callbacks: FINAL_RECEIPT_ONLY,
      rules: [
        { vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'error', status: 400, code: '40310', title: 'Invalid to number' } },
      ],
    });
    try {
      const id = await send(to, 'Never sent');
      const [failed] = await waitFor(() => {
        const got = eventsFor('status', id);
        return got.length >= 1 ? got : undefined;
      }, 'the failed event');
      expect(failed).toEqual({
        type: 'message.status',
        timestamp: expect.any(String),
        data: { messageId: id, status: 'failed', previousStatus: 'sending', carrier: 'telnyx', errorCode: '40310', campaignId: null },
      });
      expect((await request(h().app).get(`/v1/messages/${id}`).set(acct.auth)).body.status).toBe('failed');
    } finally {
      await stack.sim.control.setFaults({ callbacks: FINAL_RECEIPT_ONLY });
    }
  });

  it('a carrier that accepts and then fails to deliver: undelivered, with the receipt error code', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({
      callbacks: FINAL_RECEIPT_ONLY,
      rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'undelivered', code: '40008' } }],
    });
    try {
      const id = await send(to, 'Lost on the way');
      const events = await waitFor(() => {
        const got = eventsFor('status', id);
        return got.length >= 2 ? got : undefined;
      }, 'the sent and undelivered events');
      const view = (await request(h().app).get(`/v1/messages/${id}`).set(acct.auth)).body;
      expect(events.map((e) => e.data)).toEqual([
        { messageId: id, status: 'sent', previousStatus: 'sending', carrier: 'telnyx', errorCode: null, campaignId: null },
        { messageId: id, status: view.status, previousStatus: 'sent', carrier: 'telnyx', errorCode: '40008', campaignId: null },
      ]);
      expect(view.status).toBe('undelivered');
    } finally {
      await stack.sim.control.setFaults({ callbacks: FINAL_RECEIPT_ONLY });
    }
  });
});

describe('message.inbound', () => {
  it('an inbound message is announced with its id and our number only, to the endpoints subscribed to message.inbound', async () => {
    const from = freshPhone();
    expect((await stack.sim.control.inbound({ vendor: 'twilio', from, to: OUR, text: 'Do you deliver on Sundays?' })).status).toBe(200);
    const list = await request(h().app).get('/v1/messages').set(acct.auth).query({ direction: 'inbound', to: from });
    expect(list.body.data).toHaveLength(1);
    const message = list.body.data[0] as { id: string; createdAt: string };
    const [event] = await waitFor(() => {
      const got = eventsFor('inbound', message.id);
      return got.length >= 1 ? got : undefined;
    }, 'the inbound event');
    expect(event).toEqual({
      type: 'message.inbound',
      timestamp: expect.any(String),
      data: { messageId: message.id, to: OUR, carrier: 'twilio', receivedAt: message.createdAt },
    });
    MessageInboundEventSchema.parse(event);
    await waitFor(() => (eventsFor('hold', message.id).length > 0 ? true : undefined), 'the event at the other subscribed endpoint');
    expect(receiver.on('/inbound').find((r) => r.body.includes(from.slice(2)))).toBeUndefined();
  });
});

describe('who gets what', () => {
  it('an endpoint subscribed only to message.inbound got no status event; the other account got nothing at all', async () => {
    // By now this account has sent, failed and received messages (the tests above).
    const inboundOnly = verifiedAt('/inbound', endpoints.inbound.secret);
    expect(inboundOnly.length).toBeGreaterThan(0);
    expect(new Set(inboundOnly.map((e) => e.type))).toEqual(new Set(['message.inbound']));
    const statusOnly = verifiedAt('/status', endpoints.status.secret);
    expect(new Set(statusOnly.map((e) => e.type))).toEqual(new Set(['message.status']));
    expect(receiver.on('/other')).toEqual([]);
    const [others] = await sql<{ n: number }>('select count(*)::int as n from webhook_deliveries where account_id = ?', [
      bystander.accountId,
    ]);
    expect(others!.n).toBe(0);
  });

  it('the OpenAPI document describes every event type an endpoint can subscribe to under webhooks', async () => {
    const doc = (await request(h().app).get('/openapi.json')).body as { webhooks: Record<string, { post: { summary: string } }> };
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });
});

describe('no number or text in clear', () => {
  it('a pending delivery holds its payload sealed; opened, it has ids only; the delivery workflow history has neither number nor text', async () => {
    const to = freshPhone();
    const text = `Secret menu ${Date.now()}`;
    const id = await send(to, text);
    await waitFor(() => (eventsFor('status', id).length >= 2 ? true : undefined), 'the message to be delivered');
    const from = freshPhone();
    const reply = `Reply text ${Date.now()}`;
    expect((await stack.sim.control.inbound({ vendor: 'telnyx', from, to: OUR, text: reply })).status).toBe(200);
    await waitFor(
      () => (receiver.on('/hold').some((r) => r.body.includes('message.inbound')) ? true : undefined),
      'the held inbound event',
    );

    // At rest: /hold answers 500, so its deliveries keep their payloads.
    const rows = await sql<{ event_id: string; event_type: string; payload: Buffer; dump: Buffer }>(
      `select event_id, event_type, payload, convert_to(t::text, 'UTF8') as dump from webhook_deliveries t
        where endpoint_id = ? and status = 'pending' and payload is not null`,
      [endpoints.hold.id],
    );
    const dataKey = await h().deps.keyring.keyFor(h().deps.orm.em.fork(), acct.accountId);
    const opened = rows.map((r) => JSON.parse(openDeliveryPayload(dataKey, r.event_id, r.payload)) as { data: { messageId: string } });
    const mine = opened.filter((o) => o.data.messageId === id);
    expect(mine.map((o) => o.data)).toEqual([
      { messageId: id, status: 'sent', previousStatus: 'sending', carrier: 'telnyx', errorCode: null, campaignId: null },
      { messageId: id, status: 'delivered', previousStatus: 'sent', carrier: 'telnyx', errorCode: null, campaignId: null },
    ]);
    const dump = Buffer.concat(rows.map((r) => r.dump));
    for (const r of rows) expect(r.payload[0]).toBe(1); // the sealed-field format byte
    expect(dump.includes(Buffer.from(id))).toBe(false); // not even the ids are in clear in the payload column
    for (const secretText of [to.slice(2), from.slice(2), text, reply]) {
      expect(dump.includes(Buffer.from(secretText)), secretText).toBe(false);
      expect(JSON.stringify(opened).includes(secretText), secretText).toBe(false);
    }

    // Temporal: the delivery workflow's history once a round that made these deliveries has completed.
    const handle = h().temporal.workflow.getHandle(WEBHOOK_DELIVERIES_WORKFLOW_ID);
    const afterSeconds = Math.floor(Date.now() / 1000) + 1;
    const history = await waitFor(
      async () => {
        const got = await handle.fetchHistory();
        const roundsSince = got.events!.filter(
          (e) => e.activityTaskCompletedEventAttributes && Number(e.eventTime?.seconds ?? 0) >= afterSeconds,
        );
        return roundsSince.length > 0 ? got : undefined;
      },
      'a delivery round completed after these deliveries',
      30_000,
    );
    const decoded: string[] = [];
    const historyText = JSON.stringify(history, (k, v: unknown) => {
      const text = payloadText(k, v);
      if (text !== v) decoded.push(String(text));
      return text;
    });
    expect(decoded.some((t) => /^\{"claimed":\d+,"delivered":\d+/.test(t))).toBe(true); // a round's result, read as text
    const secrets = Object.values(endpoints).map((e) => e.secret.slice('whsec_'.length));
    for (const secretText of [to.slice(2), from.slice(2), text, reply, ...secrets]) {
      expect(historyText.includes(secretText), secretText).toBe(false);
    }
  });
});
