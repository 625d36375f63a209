import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackRecord } from '../simulator/types';
import { signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { attemptsOf, waitFor } from './support/outbox';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * Delivery receipts end to end: POST /v1/messages → the dispatcher (real Temporal) → the official SDK
 * → the simulator process, whose signed status callbacks come back to /webhooks/*. Then the captured
 * callbacks are replayed, tampered with, unsigned and made stale against the same endpoints.
 */
let stack: WebhookStack;
let acct: TestAccount;
let FROM = '';
const h = () => stack.h;

const sql = <T>(query: string, params: unknown[] = []) => h().deps.orm.em.fork().execute<T[]>(query, params);

async function sendAndSettle(to: string, status = 'delivered') {
  const res = await request(h().app).post('/v1/messages').set(acct.auth).send({ to, from: FROM, body: 'receipt me' });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  const final = await waitFor(
    async () => (await request(h().app).get(`/v1/messages/${id}`).set(acct.auth)).body,
    (m) => m.status === status,
    30_000,
  );
  expect(final.status).toBe(status);
  return final as {
    id: string;
    status: string;
    carrier: string;
    carrierMessageId: string;
    attempts: { id: string; carrier: string; outcome: string }[];
  };
}

async function callbacksOf(messageId: string, vendor: 'telnyx' | 'twilio', count: number): Promise<CallbackRecord[]> {
  const all = await waitFor(
    async () => (await stack.sim.control.callbacks({ m: messageId })).filter((c) => c.vendor === vendor && c.kind === 'status'),
    (cbs) => cbs.length >= count && cbs.every((c) => c.answerStatus !== null),
    10_000,
  );
  return all;
}

const post = (cb: CallbackRecord, change: { body?: string; headers?: Record<string, string | undefined>; url?: string } = {}) => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...cb.headers, ...change.headers })) if (v !== undefined) headers[k] = v;
  delete headers['content-length'];
  return fetch(change.url ?? cb.url, { method: 'POST', headers, body: change.body ?? cb.body });
};

async function snapshot(messageId: string) {
  const [message] = await sql<Record<string, unknown>>(
    'select status, carrier, carrier_message_id, error_code, sent_at, delivered_at, failed_at from messages where id = ?',
    [messageId],
  );
  const events = await sql<{ n: number }>('select count(*)::int as n from provider_webhook_events');
  return { message, attempts: await attemptsOf(h().deps, messageId), events: events[0]!.n };
}

beforeAll(async () => {
  stack = await startWebhookStack({
    env: { CARRIER_TIMEOUT_MS: '1000', DISPATCH_SHARDS: '1' },
    messaging: { settings: { reconcileWaitMs: 15_000 } },
  });
  acct = await signUp(h().app, 'Receipts');
  FROM = await obtainSenderNumber(h(), acct, { sim: stack.sim });
});
afterAll(() => stack?.close());

describe('delivery receipts through the carrier webhooks', () => {
  it('telnyx: sent then delivered arrive signed, the attempt is accepted, the message delivered with its carrier id', async () => {
    const m = await sendAndSettle(freshPhone());
    expect(m).toMatchObject({ carrier: 'telnyx', carrierMessageId: expect.any(String) });
    expect(m.attempts.map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'accepted']]);
    const cbs = await callbacksOf(m.id, 'telnyx', 2);
    expect(cbs.map((c) => [c.event, c.answerStatus])).toEqual([
      ['message.sent', 200],
      ['message.finalized', 200],
    ]);
  });

  it('twilio (after a Telnyx 503): status callbacks verified against PUBLIC_BASE_URL + the called path and query', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({ rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }] });
    const m = await sendAndSettle(to);
    await stack.sim.control.clearFaults();
    expect(m.carrier).toBe('twilio');
    expect(m.attempts.map((a) => [a.carrier, a.outcome])).toEqual([
      ['telnyx', 'transient'],
      ['twilio', 'accepted'],
    ]);
    const cbs = await callbacksOf(m.id, 'twilio', 2);
    expect(cbs.every((c) => c.answerStatus === 200)).toBe(true);
  });

  it('a receipt naming an ambiguous attempt (the send timed out) confirms it: delivered, one ledger entry, no failover', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({
      rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'ambiguous', mode: 'timeout', callback: true } }],
      // The receipt comes after the 1 s send timeout (so the attempt is ambiguous) and long before the carrier would be asked.
      callbacks: { delayMs: [2_500, 2_500] },
    });
    const m = await sendAndSettle(to);
    await stack.sim.control.clearFaults();
    expect(m.attempts.map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'confirmed_sent']]);
    expect(m.carrier).toBe('telnyx');
    expect((await stack.sim.control.ledger({ m: m.id })).entries.map((e) => e.vendor)).toEqual(['telnyx']);
  });

  for (const vendor of ['telnyx', 'twilio'] as const) {
    it(`${vendor}: a replayed, a tampered and an unsigned callback change nothing`, async () => {
      const to = freshPhone();
      if (vendor === 'twilio') {
        await stack.sim.control.setFaults({
          rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }],
        });
      }
      const m = await sendAndSettle(to);
      await stack.sim.control.clearFaults();
      const [sentCb] = await callbacksOf(m.id, vendor, 2);
      const before = await snapshot(m.id);

      const replayed = await post(sentCb!);
      expect(replayed.status).toBe(200);
      expect(await replayed.json()).toEqual({ received: true, replayed: true });

      const tampered = await post(sentCb!, { body: sentCb!.body.replace(/sent/g, 'failed').replace(/delivered/g, 'failed') });
      expect(tampered.status).toBe(403);
      expect(await tampered.json()).toMatchObject({
        type: 'https://massivesms.dev/problems/forbidden',
        detail: 'the webhook signature does not verify',
      });

      const signatureHeader = vendor === 'telnyx' ? 'telnyx-signature-ed25519' : 'x-twilio-signature';
      const unsigned = await post(sentCb!, { headers: { [signatureHeader]: undefined } });
      expect(unsigned.status).toBe(403);

      expect(await snapshot(m.id)).toEqual(before);
    });
  }

  it('telnyx: a callback outside the 300 s tolerance is refused as stale', async () => {
    const m = await sendAndSettle(freshPhone());
    const [cb] = await callbacksOf(m.id, 'telnyx', 2);
    const before = await snapshot(m.id);
    const stale = await post(cb!, { headers: { 'telnyx-timestamp': String(Math.floor(Date.now() / 1000) - 301) } });
    expect(stale.status).toBe(403);
    expect(((await stale.json()) as { detail: string }).detail).toBe(
      'the webhook timestamp is outside the tolerance (a replay or a skewed clock)',
    );
    expect(await snapshot(m.id)).toEqual(before);
  });

  it('twilio: a captured callback posted to another URL (another message id) fails its signature', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({ rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }] });
    const m = await sendAndSettle(to);
    await stack.sim.control.clearFaults();
    const [cb] = await callbacksOf(m.id, 'twilio', 2);
    const moved = await post(cb!, { url: cb!.url.replace(/m=[^&]+/, 'm=00000000-0000-7000-8000-000000000000') });
    expect(moved.status).toBe(403);
  });

  it('refuses a flood of rejected webhooks from one address with 429, yet accepts correctly signed ones from that address (verified before any budget)', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({ rules: [{ vendor: 'telnyx', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }] });
    const viaTwilio = await sendAndSettle(to);
    await stack.sim.control.clearFaults();
    const [twilioCb] = await callbacksOf(viaTwilio.id, 'twilio', 2);

    let last = 0;
    for (let i = 0; i < 70 && last !== 429; i++) {
      last = (await fetch(`${stack.baseUrl}/webhooks/twilio/status`, { method: 'POST', body: 'MessageSid=SMx&MessageStatus=sent' })).status;
    }
    expect(last).toBe(429);
    // The simulator posts from the same loopback address: a new message's signed Telnyx callbacks are accepted...
    const m = await sendAndSettle(freshPhone());
    expect((await callbacksOf(m.id, 'telnyx', 2)).map((c) => c.answerStatus)).toEqual([200, 200]);
    // ...and so is a signed Twilio callback (a replay: 200 and no change).
    const replayed = await post(twilioCb!);
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ received: true, replayed: true });
    // Bad ones from the address are still refused.
    const bad = await fetch(`${stack.baseUrl}/webhooks/twilio/status`, { method: 'POST', body: 'MessageSid=SMx&MessageStatus=sent' });
    expect(bad.status).toBe(429);
  });
});
