import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebhookVerificationFailed, type CarrierId, type IncomingWebhook, type SmsCarrier } from '../providers/sms/carrier';
import { createTelnyxCarrier } from '../providers/sms/telnyx/telnyx-carrier';
import { carriersFor, nextSend } from './support/carrier-fixtures';
import { startHttpReceiver, until, type HttpReceiver, type ReceivedRequest } from './support/http-receiver';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let receiver: HttpReceiver;
let carriers: Record<CarrierId, SmsCarrier>;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  sim = await startSimulatorProcess({ seed: 7 });
  carriers = carriersFor(sim, 5_000);
});

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

beforeEach(async () => {
  await sim.control.reset();
  await sim.control.config({
    telnyxInboundUrl: `${receiver.url}/webhooks/telnyx`,
    twilioInboundUrl: `${receiver.url}/webhooks/twilio/inbound`,
  });
  receiver.answerWith(200);
});

afterEach(() => {
  vi.useRealTimers();
});

/** What the product's webhook route hands the adapter: the exact bytes, the headers, the URL called. */
function asWebhook(request: ReceivedRequest): IncomingWebhook {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
  return { rawBody: Buffer.from(request.body, 'utf8'), headers, url: request.url };
}

/** The callbacks the simulator delivered for one attempt, in order, once `count` have arrived. */
async function callbacksFor(attemptId: string, count: number): Promise<ReceivedRequest[]> {
  return until(() => {
    const found = receiver.requests.filter((r) => r.path.includes(`a=${attemptId}`));
    return found.length >= count ? found : undefined;
  }, `${count} callbacks for ${attemptId}`);
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WebhookVerificationFailed)) throw new Error(`expected WebhookVerificationFailed, got ${String(error)}`);
  return error.reason;
}

async function sendAndCapture(carrier: CarrierId, count: number, outcome: 'delivered' | 'failed' = 'delivered') {
  await sim.control.setFaults({ callbacks: { mode: 'all', delayMs: [0, 5], outcome } });
  const req = nextSend(receiver.url, carrier);
  const sent = await carriers[carrier].send(req);
  if (sent.kind !== 'accepted') throw new Error(`not accepted: ${sent.kind}`);
  return { req, carrierMessageId: sent.carrierMessageId, callbacks: await callbacksFor(req.attemptId, count) };
}

function telnyxHeaders(webhook: IncomingWebhook, privateKey: KeyObject, timestamp: number, body = webhook.rawBody.toString('utf8')) {
  return {
    ...webhook.headers,
    'telnyx-timestamp': String(timestamp),
    'telnyx-signature-ed25519': sign(null, Buffer.from(`${timestamp}|${body}`), privateKey).toString('base64'),
  };
}

describe('Telnyx webhooks (ed25519, ±300 s)', () => {
  it('real status callbacks from the simulator verify and map: message.sent then message.finalized', async () => {
    const { req, carrierMessageId, callbacks } = await sendAndCapture('telnyx', 2);
    const events = [];
    for (const callback of callbacks) events.push(await carriers.telnyx.parseWebhook(asWebhook(callback)));
    const bodies = callbacks.map((c) => JSON.parse(c.body) as { data: { id: string; occurred_at: string; event_type: string } });
    expect(bodies.map((b) => b.data.event_type)).toEqual(['message.sent', 'message.finalized']);
    expect(events).toEqual(
      bodies.map((b, i) => ({
        type: 'status',
        eventId: b.data.id,
        carrier: 'telnyx',
        carrierMessageId,
        messageId: req.messageId,
        attemptId: req.attemptId,
        status: i === 0 ? 'sent' : 'delivered',
        occurredAt: new Date(b.data.occurred_at),
      })),
    );
  });

  it('a failed delivery maps to undelivered with the vendor code', async () => {
    const { callbacks } = await sendAndCapture('telnyx', 2, 'failed');
    const body = JSON.parse(callbacks[1]!.body) as { data: { payload: { errors: { code: string }[]; to: { status: string }[] } } };
    expect(body.data.payload.to[0]!.status).toBe('delivery_failed');
    const code = body.data.payload.errors[0]!.code;
    expect(code).toMatch(/^\d+$/);
    expect(await carriers.telnyx.parseWebhook(asWebhook(callbacks[1]!))).toMatchObject({
      type: 'status',
      status: 'undelivered',
      errorCode: code,
    });
  });

  it('a real inbound message.received verifies and maps to an inbound event', async () => {
    const sent = await sim.control.inbound({ vendor: 'telnyx', from: '+15550400001', to: '+15550100001', text: ' stop ' });
    expect(sent.status).toBe(200);
    const [callback] = receiver.requests.filter((r) => r.path === '/webhooks/telnyx');
    const body = JSON.parse(callback!.body) as { data: { id: string; occurred_at: string; payload: { id: string } } };
    expect(await carriers.telnyx.parseWebhook(asWebhook(callback!))).toEqual({
      type: 'inbound',
      eventId: body.data.id,
      carrier: 'telnyx',
      carrierMessageId: body.data.payload.id,
      from: '+15550400001',
      to: '+15550100001',
      body: ' stop ',
      occurredAt: new Date(body.data.occurred_at),
    });
  });

  it('rejects a forged signature (another key), a tampered body and missing headers as signature', async () => {
    const { callbacks } = await sendAndCapture('telnyx', 1);
    const real = asWebhook(callbacks[0]!);
    const { privateKey: otherKey } = generateKeyPairSync('ed25519');
    const now = Math.floor(Date.now() / 1000);
    expect(await rejection(carriers.telnyx.parseWebhook({ ...real, headers: telnyxHeaders(real, otherKey, now) }))).toBe('signature');
    const tampered = Buffer.from(real.rawBody.toString('utf8').replace('"message.sent"', '"message.finalized"'));
    expect(tampered.equals(real.rawBody)).toBe(false);
    expect(await rejection(carriers.telnyx.parseWebhook({ ...real, rawBody: tampered }))).toBe('signature');
    expect(await rejection(carriers.telnyx.parseWebhook({ ...real, headers: without(real.headers, 'telnyx-signature-ed25519') }))).toBe(
      'signature',
    );
  });

  it('a genuine callback more than 300 s later is stale; 299 s later it still verifies', async () => {
    const { callbacks } = await sendAndCapture('telnyx', 1);
    const real = asWebhook(callbacks[0]!);
    const signedAt = Number(real.headers['telnyx-timestamp']) * 1000;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(signedAt + 299_000);
    expect(await carriers.telnyx.parseWebhook(real)).toMatchObject({ type: 'status', status: 'sent' });
    vi.setSystemTime(signedAt + 301_000);
    expect(await rejection(carriers.telnyx.parseWebhook(real))).toBe('stale');
    vi.setSystemTime(signedAt - 301_000);
    expect(await rejection(carriers.telnyx.parseWebhook(real))).toBe('stale');
  });

  it('a timestamp that is not a number is malformed; a correctly signed body we cannot read is malformed', async () => {
    const { callbacks } = await sendAndCapture('telnyx', 1);
    const real = asWebhook(callbacks[0]!);
    expect(await rejection(carriers.telnyx.parseWebhook({ ...real, headers: { ...real.headers, 'telnyx-timestamp': 'soon' } }))).toBe(
      'malformed',
    );

    // Our own key pair, so the signature is valid and only the payload is wrong.
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const ours = createTelnyxCarrier({
      apiKey: 'KEY-unused',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64'),
      timeoutMs: 1_000,
    });
    const now = Math.floor(Date.now() / 1000);
    for (const body of [
      '{not json',
      '{"data":{}}',
      JSON.stringify({ data: { id: 'e1', event_type: 'call.initiated', occurred_at: new Date().toISOString(), payload: { id: 'x' } } }),
    ]) {
      const webhook = { rawBody: Buffer.from(body), headers: {}, url: real.url };
      expect(await rejection(ours.parseWebhook({ ...webhook, headers: telnyxHeaders(webhook, privateKey, now) })), body).toBe('malformed');
    }
    // The same real callback is verified by that adapter too: only the key decides.
    expect(await rejection(ours.parseWebhook(real))).toBe('signature');
  });
});

describe('Twilio webhooks (HMAC-SHA1 over URL + form)', () => {
  it('real status callbacks from the simulator verify and map, event id = MessageSid:MessageStatus', async () => {
    const { req, carrierMessageId, callbacks } = await sendAndCapture('twilio', 2);
    const received = Date.now();
    const events = [];
    for (const callback of callbacks) events.push(await carriers.twilio.parseWebhook(asWebhook(callback)));
    const common = { type: 'status', carrier: 'twilio', carrierMessageId, messageId: req.messageId, attemptId: req.attemptId };
    expect(events).toEqual([
      { ...common, eventId: `${carrierMessageId}:sent`, status: 'sent', occurredAt: expect.any(Date) },
      { ...common, eventId: `${carrierMessageId}:delivered`, status: 'delivered', occurredAt: expect.any(Date) },
    ]);
    // Twilio's callbacks carry no event time: the adapter stamps when it parsed them.
    for (const event of events) expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(received);
  });

  it('an undelivered callback maps to undelivered with the ErrorCode', async () => {
    const { callbacks } = await sendAndCapture('twilio', 2, 'failed');
    const form = new URLSearchParams(callbacks[1]!.body);
    expect(form.get('MessageStatus')).toBe('undelivered');
    expect(form.get('ErrorCode')).toMatch(/^\d+$/);
    expect(await carriers.twilio.parseWebhook(asWebhook(callbacks[1]!))).toMatchObject({
      type: 'status',
      status: 'undelivered',
      errorCode: form.get('ErrorCode'),
    });
  });

  it('a real inbound message verifies and maps to an inbound event (event id = MessageSid)', async () => {
    const sent = await sim.control.inbound({ vendor: 'twilio', from: '+15550400002', to: '+15550100001', text: 'HELP' });
    expect(sent.status).toBe(200);
    const [callback] = receiver.requests.filter((r) => r.path === '/webhooks/twilio/inbound');
    const sid = new URLSearchParams(callback!.body).get('MessageSid')!;
    expect(await carriers.twilio.parseWebhook(asWebhook(callback!))).toMatchObject({
      type: 'inbound',
      eventId: sid,
      carrier: 'twilio',
      carrierMessageId: sid,
      from: '+15550400002',
      to: '+15550100001',
      body: 'HELP',
    });
  });

  it('rejects a signature made with another auth token', async () => {
    const { callbacks } = await sendAndCapture('twilio', 1);
    const real = asWebhook(callbacks[0]!);
    const params = Object.fromEntries(new URLSearchParams(real.rawBody.toString('utf8')));
    const forged = twilio.getExpectedTwilioSignature('not-the-auth-token', real.url, params);
    expect(await rejection(carriers.twilio.parseWebhook({ ...real, headers: { ...real.headers, 'x-twilio-signature': forged } }))).toBe(
      'signature',
    );
  });

  it('rejects a tampered body and a missing signature', async () => {
    const { callbacks } = await sendAndCapture('twilio', 1);
    const real = asWebhook(callbacks[0]!);
    const tampered = Buffer.from(real.rawBody.toString('utf8').replace('MessageStatus=sent', 'MessageStatus=delivered'));
    expect(tampered.equals(real.rawBody)).toBe(false);
    expect(await rejection(carriers.twilio.parseWebhook({ ...real, rawBody: tampered }))).toBe('signature');
    expect(await rejection(carriers.twilio.parseWebhook({ ...real, headers: without(real.headers, 'x-twilio-signature') }))).toBe(
      'signature',
    );
  });

  it('rejects a genuine callback presented at another URL (another attempt id, another port)', async () => {
    const { req, callbacks } = await sendAndCapture('twilio', 1);
    const real = asWebhook(callbacks[0]!);
    const otherAttempt = real.url.replace(`a=${req.attemptId}`, 'a=att-someone-else');
    expect(otherAttempt).not.toBe(real.url);
    expect(await rejection(carriers.twilio.parseWebhook({ ...real, url: otherAttempt }))).toBe('signature');
    const otherPort = real.url.replace(/:(\d+)\//, (_m, p: string) => `:${Number(p) + 1}/`);
    expect(otherPort).not.toBe(real.url);
    expect(await rejection(carriers.twilio.parseWebhook({ ...real, url: otherPort }))).toBe('signature');
    // Twilio signs no timestamp: the same callback verifies again (replays are dropped by event id downstream).
    expect(await carriers.twilio.parseWebhook(real)).toMatchObject({ type: 'status', status: 'sent' });
  });

  it('a correctly signed form without a MessageSid is malformed', async () => {
    const url = `${receiver.url}/webhooks/twilio/status?m=m1&a=a1`;
    const params = { MessageStatus: 'delivered', From: '+15550100001' };
    const signature = twilio.getExpectedTwilioSignature(sim.twilio.authToken, url, params);
    const webhook = { rawBody: Buffer.from(new URLSearchParams(params).toString()), headers: { 'x-twilio-signature': signature }, url };
    expect(await rejection(carriers.twilio.parseWebhook(webhook))).toBe('malformed');
  });
});
