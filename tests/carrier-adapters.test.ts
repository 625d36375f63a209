import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CarrierLookupFailed, type CarrierId, type CarrierSendRequest, type SmsCarrier } from '../providers/sms/carrier';
import { createSmsCarriers } from '../providers/sms/registry';
import { CARRIERS, carriersFor, closedPort, nextSend } from './support/carrier-fixtures';
import { startHttpReceiver, until, type HttpReceiver } from './support/http-receiver';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

/** A short SDK timeout, so a held request becomes an ambiguous outcome quickly. */
const SHORT_TIMEOUT_MS = 400;

let sim: SimulatorProcess;
let receiver: HttpReceiver;
let carriers: Record<CarrierId, SmsCarrier>;
let impatient: Record<CarrierId, SmsCarrier>;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  sim = await startSimulatorProcess({ seed: 6 });
});

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

beforeEach(async () => {
  await sim.control.reset();
  // Fresh adapters per case: a case that closes the simulator's listeners leaves no idle socket behind
  // (a reused socket the server closed fails as a reset, which is ambiguous by design).
  carriers = carriersFor(sim, 5_000);
  impatient = carriersFor(sim, SHORT_TIMEOUT_MS);
});

function request(carrier: CarrierId, body?: string): CarrierSendRequest {
  return nextSend(receiver.url, carrier, body);
}

/** The one fault rule for this destination only. */
async function fault(carrier: CarrierId, to: string, rule: Record<string, unknown>, op: 'send' | 'fetch' | 'list' = 'send') {
  await sim.control.setFaults({ rules: [{ vendor: carrier, op, rate: 1, to, fault: rule as never }], callbacks: { mode: 'none' } });
}

const VENDOR_CODES = {
  telnyx: { status503: '10007', status429: '10011', status400: '10015', permanent: '40310' },
  twilio: { status503: '20500', status429: '20429', status400: '20001', permanent: '21211' },
} as const;

describe.each(CARRIERS)('%s adapter: send classification through the official SDK and the simulator', (carrier) => {
  it('accepted: the carrier id is the one in the simulator ledger, with our m and a', async () => {
    const req = request(carrier);
    const outcome = await carriers[carrier].send(req);
    const ledger = await sim.control.ledger({ a: req.attemptId });
    expect(ledger.total).toBe(1);
    const entry = ledger.entries[0]!;
    expect(outcome).toEqual({ kind: 'accepted', carrierMessageId: entry.id, status: 'sent' });
    expect(entry).toMatchObject({ vendor: carrier, from: req.from, to: req.to, text: req.body, m: req.messageId, a: req.attemptId });
  });

  it('503 → transient with the vendor code, nothing in the ledger', async () => {
    const req = request(carrier);
    await fault(carrier, req.to, { kind: 'status', status: 503 });
    const outcome = await carriers[carrier].send(req);
    expect(outcome).toMatchObject({ kind: 'transient', errorCode: VENDOR_CODES[carrier].status503 });
    expect((await sim.control.ledger({ a: req.attemptId })).total).toBe(0);
  });

  it('429 → transient', async () => {
    const req = request(carrier);
    await fault(carrier, req.to, { kind: 'status', status: 429 });
    expect(await carriers[carrier].send(req)).toMatchObject({ kind: 'transient', errorCode: VENDOR_CODES[carrier].status429 });
  });

  it('an unknown 4xx code → transient (Twilio or Telnyx answered, nothing was sent: the other route decides)', async () => {
    const req = request(carrier);
    await fault(carrier, req.to, { kind: 'status', status: 400 });
    expect(await carriers[carrier].send(req)).toEqual({
      kind: 'transient',
      errorCode: VENDOR_CODES[carrier].status400,
      errorDetail: `${carrier === 'telnyx' ? 'Telnyx' : 'Twilio'} refused the request (HTTP 400, code ${VENDOR_CODES[carrier].status400})`,
    });
  });

  it('refused (an outage that closes the listener) → transient ECONNREFUSED, nothing in the ledger', async () => {
    const req = request(carrier);
    await sim.control.setFaults({ outages: [{ vendor: carrier, startInMs: 0, durationMs: 60_000, mode: 'refuse' }] });
    expect(await carriers[carrier].send(req)).toMatchObject({ kind: 'transient', errorCode: 'ECONNREFUSED' });
    await sim.control.clearFaults();
    expect((await sim.control.ledger({ a: req.attemptId })).total).toBe(0);
    // The listener is back: the same adapter sends again.
    expect(await carriers[carrier].send(request(carrier))).toMatchObject({ kind: 'accepted' });
  });

  it('refused (a closed port) → transient ECONNREFUSED', async () => {
    const port = await closedPort();
    const env = sim.env();
    const nowhere = carriersFor(sim, 5_000, {
      ...env,
      TELNYX_BASE_URL: `http://127.0.0.1:${port}/v2`,
      TWILIO_BASE_URL: `http://127.0.0.1:${port}`,
    });
    expect(await nowhere[carrier].send(request(carrier))).toMatchObject({ kind: 'transient', errorCode: 'ECONNREFUSED' });
  });

  it('a permanent vendor code → permanent with that code and a fixed text that never echoes the number or body', async () => {
    const req = request(carrier, 'secret body 42');
    await fault(carrier, req.to, {
      kind: 'error',
      status: 400,
      code: VENDOR_CODES[carrier].permanent,
      title: `The 'To' number ${req.to} is not valid: secret body 42`,
    });
    const outcome = await carriers[carrier].send(req);
    const text = carrier === 'telnyx' ? 'Telnyx 40310: invalid destination number' : 'Twilio 21211: invalid destination number';
    expect(outcome).toEqual({ kind: 'permanent', errorCode: VENDOR_CODES[carrier].permanent, errorDetail: text });
    expect(JSON.stringify(outcome)).not.toContain(req.to.slice(1));
    expect(JSON.stringify(outcome)).not.toContain('secret');
  });

  it('timeout after the request was written → ambiguous, and the simulator ledger holds the message', async () => {
    const req = request(carrier);
    await fault(carrier, req.to, { kind: 'ambiguous', mode: 'timeout', callback: false });
    const outcome = await impatient[carrier].send(req);
    expect(outcome).toMatchObject({ kind: 'ambiguous', errorCode: carrier === 'telnyx' ? 'TIMEOUT' : 'ECONNABORTED' });
    const ledger = await sim.control.ledger({ a: req.attemptId });
    expect(ledger.entries.map((e) => [e.a, e.ambiguous])).toEqual([[req.attemptId, 'timeout']]);
  });

  it('connection reset after the request was written → ambiguous, and the simulator ledger holds the message', async () => {
    const req = request(carrier);
    await fault(carrier, req.to, { kind: 'ambiguous', mode: 'reset', callback: false });
    const outcome = await carriers[carrier].send(req);
    expect(outcome).toMatchObject({ kind: 'ambiguous', errorCode: 'ECONNRESET' });
    expect((await sim.control.ledger({ a: req.attemptId })).entries.map((e) => e.ambiguous)).toEqual(['reset']);
  });
});

describe.each(CARRIERS)('%s adapter: lookup of an ambiguous attempt', (carrier) => {
  const lookupOf = (req: CarrierSendRequest, attemptedAt: Date, extra: object = {}) => ({
    attemptId: req.attemptId,
    messageId: req.messageId,
    from: req.from,
    to: req.to,
    body: req.body,
    attemptedAt,
    ...extra,
  });

  it('finds a timed-out but accepted message without its carrier id, with the id the ledger holds', async () => {
    const req = request(carrier);
    const attemptedAt = new Date();
    await fault(carrier, req.to, { kind: 'ambiguous', mode: 'timeout', callback: false });
    expect(await impatient[carrier].send(req)).toMatchObject({ kind: 'ambiguous' });
    await sim.control.clearFaults();
    // The simulator carries the held message through to delivery; the lookup reports where it is.
    const entry = await until(
      async () => (await sim.control.ledger({ a: req.attemptId })).entries.find((e) => e.status === 'delivered'),
      'delivery',
    );
    expect(await carriers[carrier].lookup(lookupOf(req, attemptedAt))).toEqual({
      found: true,
      carrierMessageId: entry.id,
      status: 'delivered',
    });
  });

  it('reports found:false for an attempt that never reached the carrier, beside one that did', async () => {
    const sent = request(carrier);
    const attemptedAt = new Date();
    expect(await carriers[carrier].send(sent)).toMatchObject({ kind: 'accepted' });
    // Same destination and sender; a different attempt (Telnyx) and a different body (Twilio).
    const neverSent = { ...sent, attemptId: `${sent.attemptId}-lost`, body: `${sent.body} (2)` };
    expect(await carriers[carrier].lookup(lookupOf(neverSent, attemptedAt))).toEqual({ found: false });
  });

  it('a reset before the carrier accepted is ambiguous, and the lookup proves it was never sent', async () => {
    const req = request(carrier);
    const attemptedAt = new Date();
    await fault(carrier, req.to, { kind: 'reset_before' });
    expect(await carriers[carrier].send(req)).toMatchObject({ kind: 'ambiguous' });
    await sim.control.clearFaults();
    expect((await sim.control.ledger({ a: req.attemptId })).total).toBe(0);
    expect(await carriers[carrier].lookup(lookupOf(req, attemptedAt))).toEqual({ found: false });
  });

  it('by carrier id: found with the receipt status once delivered, found:false for an unknown id', async () => {
    await sim.control.setFaults({ callbacks: { mode: 'final', delayMs: [0, 5] } });
    const req = request(carrier);
    const attemptedAt = new Date();
    const outcome = await carriers[carrier].send(req);
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${outcome.kind}`);
    await until(async () => (await sim.control.ledger({ a: req.attemptId })).entries[0]?.status === 'delivered', 'delivery');
    expect(await carriers[carrier].lookup(lookupOf(req, attemptedAt, { carrierMessageId: outcome.carrierMessageId }))).toEqual({
      found: true,
      carrierMessageId: outcome.carrierMessageId,
      status: 'delivered',
    });
    const unknown = carrier === 'telnyx' ? '40000000-0000-4000-8000-000000000000' : `SM${'0'.repeat(32)}`;
    expect(await carriers[carrier].lookup(lookupOf(req, attemptedAt, { carrierMessageId: unknown }))).toEqual({ found: false });
  });

  it('a carrier that cannot be asked throws CarrierLookupFailed instead of answering found:false', async () => {
    const req = request(carrier);
    await sim.control.setFaults({ outages: [{ vendor: carrier, startInMs: 0, durationMs: 60_000, mode: 'status503' }] });
    const failure = await carriers[carrier].lookup(lookupOf(req, new Date())).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CarrierLookupFailed);
    expect(failure).toMatchObject({ carrier, code: carrier === 'telnyx' ? 'HTTP_503' : '20500' });
  });
});

describe('twilio adapter: content lookup never claims another attempt’s message', () => {
  it('skips a sid already recorded on another attempt and one created before the attempt (beyond the skew)', async () => {
    const first = request('twilio');
    expect(await carriers.twilio.send(first)).toMatchObject({ kind: 'accepted' });
    const [entry] = (await sim.control.ledger({ a: first.attemptId })).entries;
    // A second attempt of the same content whose answer was lost and which never reached Twilio.
    const second = { ...first, attemptId: `${first.attemptId}-b` };
    const lookup = { attemptId: second.attemptId, messageId: second.messageId, from: second.from, to: second.to, body: second.body };
    expect(await carriers.twilio.lookup({ ...lookup, attemptedAt: new Date(), claimedCarrierMessageIds: [entry!.id] })).toEqual({
      found: false,
    });
    expect(await carriers.twilio.lookup({ ...lookup, attemptedAt: new Date(Date.now() + 10 * 60_000) })).toEqual({ found: false });
    expect(await carriers.twilio.lookup({ ...lookup, attemptedAt: new Date() })).toEqual({
      found: true,
      carrierMessageId: entry!.id,
      status: 'sent',
    });
  });
});

describe('registry', () => {
  const full = {
    CARRIER_TIMEOUT_MS: 1_000,
    TELNYX_API_KEY: 'KEY1',
    TELNYX_PUBLIC_KEY: Buffer.alloc(32, 1).toString('base64'),
    TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'token',
  };

  it('builds both carriers, each answering to its id', () => {
    const built = createSmsCarriers(full);
    expect(Object.keys(built).sort()).toEqual(['telnyx', 'twilio']);
    expect([built.telnyx.id, built.twilio.id]).toEqual(['telnyx', 'twilio']);
  });

  it.each(['TELNYX_API_KEY', 'TELNYX_PUBLIC_KEY', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const)(
    'names %s when it is missing',
    (name) => {
      expect(() => createSmsCarriers({ ...full, [name]: undefined })).toThrow(`${name} is not set`);
    },
  );
});
