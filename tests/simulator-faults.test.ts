import Telnyx from 'telnyx';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatorControlError } from '../simulator/control-client';
import type { FaultPlanInput } from '../simulator/types';
import { startHttpReceiver, until, type HttpReceiver } from './support/http-receiver';
import { officialSmsClients, type TwilioClient } from './support/sdk-clients';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

const FROM = '+15550100001';

let sim: SimulatorProcess;
let receiver: HttpReceiver;
let telnyx: Telnyx;
let tw: TwilioClient;
let seq = 0;

function nextIds() {
  seq += 1;
  return { to: `+1555040${String(seq).padStart(4, '0')}`, m: `msg-${seq}`, a: `att-${seq}` };
}

function telnyxSend(ids: { to: string; m: string; a: string }, client: Telnyx = telnyx) {
  return client.messages.send({
    from: FROM,
    to: ids.to,
    text: 'fault test',
    webhook_url: `${receiver.url}/webhooks/telnyx?m=${ids.m}&a=${ids.a}`,
  });
}

function twilioCreate(ids: { to: string; m: string; a: string }, client = tw) {
  return client.messages.create({
    from: FROM,
    to: ids.to,
    body: 'fault test',
    statusCallback: `${receiver.url}/webhooks/twilio/status?m=${ids.m}&a=${ids.a}`,
  });
}

/** What the SDK errors expose that these tests read (each SDK adds some of these). */
type SdkFailure = Error & { status?: number; code?: unknown; error?: unknown; cause?: { cause?: { code?: string } } };

async function failure(promise: Promise<unknown>): Promise<SdkFailure> {
  try {
    await promise;
  } catch (err) {
    return err as SdkFailure;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  receiver = await startHttpReceiver();
  sim = await startSimulatorProcess({ seed: 5 });
  ({ telnyx, tw } = officialSmsClients(sim));
});

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

beforeEach(async () => {
  await sim.control.reset();
});

describe('status and error faults surface as the SDK errors the adapters classify', () => {
  it('503 → Telnyx InternalServerError and Twilio RestException 20500, nothing recorded', async () => {
    await sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', op: 'send', rate: 1, fault: { kind: 'status', status: 503 } },
        { vendor: 'twilio', op: 'send', rate: 1, fault: { kind: 'status', status: 503 } },
      ],
    });
    const telnyxError = await failure(telnyxSend(nextIds()));
    expect(telnyxError).toBeInstanceOf(Telnyx.InternalServerError);
    expect(telnyxError.status).toBe(503);
    expect(telnyxError.error).toMatchObject({ errors: [{ code: '10007' }] });
    const twilioError = await failure(twilioCreate(nextIds()));
    expect(twilioError.constructor.name).toBe('RestException');
    expect(twilioError).toMatchObject({ status: 503, code: 20500 });
    expect((await sim.control.summary()).total).toBe(0);
  });

  it('429 → Telnyx RateLimitError and Twilio RestException 20429', async () => {
    await sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', rate: 1, fault: { kind: 'status', status: 429 } },
        { vendor: 'twilio', rate: 1, fault: { kind: 'status', status: 429 } },
      ],
    });
    const telnyxError = await failure(telnyxSend(nextIds()));
    expect(telnyxError).toBeInstanceOf(Telnyx.RateLimitError);
    expect(telnyxError.error).toMatchObject({ errors: [{ code: '10011' }] });
    expect(await failure(twilioCreate(nextIds()))).toMatchObject({ status: 429, code: 20429 });
    expect((await sim.control.summary()).total).toBe(0);
  });

  it('vendor error codes: Telnyx 40310 on every send, Twilio 21211 only for the filtered number', async () => {
    await sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', rate: 1, fault: { kind: 'error', status: 400, code: '40310', title: "Invalid 'to' address" } },
        { vendor: 'twilio', rate: 1, to: '+15005550009', fault: { kind: 'error', status: 400, code: 21211 } },
      ],
    });
    const telnyxError = await failure(telnyxSend(nextIds()));
    expect(telnyxError).toBeInstanceOf(Telnyx.BadRequestError);
    expect(telnyxError.error).toMatchObject({ errors: [{ code: '40310', title: "Invalid 'to' address" }] });
    const blocked = { ...nextIds(), to: '+15005550009' };
    expect(await failure(twilioCreate(blocked))).toMatchObject({ status: 400, code: 21211 });
    const other = nextIds();
    await twilioCreate(other);
    expect((await sim.control.summary()).total).toBe(1);
    expect((await sim.control.ledger({ m: other.m })).total).toBe(1);
  });

  it('a status503 outage answers 503 for its window only', async () => {
    await sim.control.setFaults({ outages: [{ vendor: 'twilio', startInMs: 0, durationMs: 300, mode: 'status503' }] });
    expect(await failure(twilioCreate(nextIds()))).toMatchObject({ status: 503, code: 20500 });
    await telnyxSend(nextIds());
    const recovered = nextIds();
    await until(
      () =>
        twilioCreate(recovered).then(
          () => true,
          () => false,
        ),
      'Twilio to answer again',
    );
    expect((await sim.control.ledger({ vendor: 'twilio' })).entries.map((e) => e.m)).toEqual([recovered.m]);
  });
});

describe('lookup faults', () => {
  it('fail the Telnyx detail-record lookup and the Twilio fetch without touching sends', async () => {
    const ids = nextIds();
    await telnyxSend(ids);
    const sent = await twilioCreate(nextIds());
    await sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', op: 'list', rate: 1, fault: { kind: 'status', status: 500 } },
        { vendor: 'twilio', op: 'fetch', rate: 1, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
      ],
    });
    const listError = await failure(telnyx.detailRecords.list({ filter: { record_type: 'messaging', cld: ids.to } }));
    expect(listError).toBeInstanceOf(Telnyx.InternalServerError);
    const impatient = twilio(sim.twilio.accountSid, sim.twilio.authToken, { timeout: 300 });
    impatient.api.baseUrl = sim.twilioBaseUrl;
    expect(await failure(impatient.messages(sent.sid).fetch())).toMatchObject({ code: 'ECONNABORTED' });
    await telnyxSend(nextIds());
    expect((await sim.control.summary()).total).toBe(3);
  });
});

describe('ambiguous outcomes: accepted at the carrier, the answer lost', () => {
  it('timeout → APIConnectionTimeoutError, yet the ledger has the message and its callbacks still come', async () => {
    await sim.control.setFaults({
      rules: [{ vendor: 'telnyx', rate: 1, fault: { kind: 'ambiguous', mode: 'timeout', callback: true } }],
      callbacks: { delayMs: [0, 5] },
    });
    const ids = nextIds();
    const impatient = new Telnyx({ apiKey: sim.telnyxApiKey, baseURL: sim.telnyxBaseUrl, maxRetries: 0, timeout: 300 });
    const error = await failure(telnyxSend(ids, impatient));
    expect(error).toBeInstanceOf(Telnyx.APIConnectionTimeoutError);
    const entries = (await sim.control.ledger({ m: ids.m })).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ a: ids.a, ambiguous: 'timeout' });
    const callbacks = await until(async () => {
      const records = await sim.control.callbacks({ m: ids.m });
      return records.length === 2 ? records : undefined;
    }, 'the status callbacks of the ambiguous send');
    expect(callbacks.map((r) => r.event)).toEqual(['message.sent', 'message.finalized']);
  });

  it('timeout without callbacks on Twilio → ECONNABORTED, recorded, no callback ever scheduled', async () => {
    await sim.control.setFaults({
      rules: [{ vendor: 'twilio', rate: 1, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } }],
      callbacks: { delayMs: [0, 5] },
    });
    const ids = nextIds();
    const impatient = twilio(sim.twilio.accountSid, sim.twilio.authToken, { timeout: 300 });
    impatient.api.baseUrl = sim.twilioBaseUrl;
    expect(await failure(twilioCreate(ids, impatient))).toMatchObject({ code: 'ECONNABORTED' });
    await until(async () => (await sim.control.ledger({ m: ids.m })).entries[0]?.status === 'delivered', 'the silent delivery');
    expect(await sim.control.callbacks({ m: ids.m })).toEqual([]);
    expect((await sim.control.callbackStats()).scheduled).toBe(0);
  });

  it('reset after accepting → connection error (not a timeout), recorded; reset before accepting → nothing recorded', async () => {
    const accepted = nextIds();
    await sim.control.setFaults({ rules: [{ vendor: 'telnyx', rate: 1, fault: { kind: 'ambiguous', mode: 'reset', callback: true } }] });
    const afterError = await failure(telnyxSend(accepted));
    expect(afterError).toBeInstanceOf(Telnyx.APIConnectionError);
    expect(afterError).not.toBeInstanceOf(Telnyx.APIConnectionTimeoutError);
    expect((await sim.control.ledger({ m: accepted.m })).entries[0]).toMatchObject({ ambiguous: 'reset' });

    const refused = nextIds();
    await sim.control.setFaults({
      rules: [
        { vendor: 'telnyx', rate: 1, fault: { kind: 'reset_before' } },
        { vendor: 'twilio', rate: 1, fault: { kind: 'reset_before' } },
      ],
    });
    expect(await failure(telnyxSend(refused))).toBeInstanceOf(Telnyx.APIConnectionError);
    expect(await failure(twilioCreate(nextIds()))).toMatchObject({ code: 'ECONNRESET' });
    expect((await sim.control.summary()).total).toBe(1);
  });
});

describe('outages', () => {
  it('a refuse outage closes the listener (ECONNREFUSED) and reopens it after the window', async () => {
    await telnyxSend(nextIds());
    await sim.control.setFaults({ outages: [{ vendor: 'telnyx', startInMs: 0, durationMs: 400, mode: 'refuse' }] });
    const error = await failure(telnyxSend(nextIds()));
    expect(error).toBeInstanceOf(Telnyx.APIConnectionError);
    expect(error.cause?.cause?.code).toBe('ECONNREFUSED');
    const twilioStillUp = nextIds();
    await twilioCreate(twilioStillUp);
    const recovered = nextIds();
    await until(
      () =>
        telnyxSend(recovered).then(
          () => true,
          () => false,
        ),
      'Telnyx to accept connections again',
    );
    expect((await sim.control.ledger({ m: recovered.m })).total).toBe(1);
    expect((await sim.control.summary()).byVendor).toEqual({ telnyx: 2, twilio: 1 });
  });

  it('a later outage window starts and ends on its own schedule', async () => {
    await sim.control.setFaults({ outages: [{ vendor: 'twilio', startInMs: 300, durationMs: 300, mode: 'refuse' }] });
    const early = nextIds();
    await twilioCreate(early);
    await until(
      () =>
        twilioCreate(nextIds()).then(
          () => false,
          (err: SdkFailure) => err.code === 'ECONNREFUSED',
        ),
      'the window to open',
    );
    const late = nextIds();
    await until(
      () =>
        twilioCreate(late).then(
          () => true,
          () => false,
        ),
      'the window to close',
    );
    expect((await sim.control.ledger({ m: early.m })).total).toBe(1);
    expect((await sim.control.ledger({ m: late.m })).total).toBe(1);
  });

  it('DELETE /_sim/faults ends an outage at once', async () => {
    await sim.control.setFaults({ outages: [{ vendor: 'twilio', startInMs: 0, durationMs: 600_000, mode: 'refuse' }] });
    expect(await failure(twilioCreate(nextIds()))).toMatchObject({ code: 'ECONNREFUSED' });
    await sim.control.clearFaults();
    await twilioCreate(nextIds());
    expect((await sim.control.summary()).total).toBe(1);
  });
});

describe('fault plans', () => {
  const plan = (seed: number): FaultPlanInput => ({
    seed,
    rules: [{ vendor: 'telnyx', rate: 0.5, fault: { kind: 'status', status: 503 } }],
  });

  async function outcomes(attempts: string[], to: string): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const a of attempts) {
      const outcome = await telnyxSend({ to, m: `m-${a}`, a }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof Telnyx.InternalServerError ? '503' : 'other'),
      );
      result.set(a, outcome);
    }
    return result;
  }

  it('decides each attempt from the seed and its attempt id, whatever the arrival order', async () => {
    const attempts = Array.from({ length: 24 }, (_, i) => `attempt-${i}`);
    const { to } = nextIds();
    await sim.control.setFaults(plan(7));
    const forward = await outcomes(attempts, to);
    await sim.control.reset();
    await sim.control.setFaults(plan(7));
    const backward = await outcomes([...attempts].reverse(), to);
    expect(Object.fromEntries(backward)).toEqual(Object.fromEntries(forward));
    const values = [...forward.values()];
    expect(values).toContain('accepted');
    expect(values).toContain('503');
    expect(values).not.toContain('other');
    expect((await sim.control.summary()).total).toBe(values.filter((v) => v === 'accepted').length);

    await sim.control.reset();
    await sim.control.setFaults(plan(8));
    expect(Object.fromEntries(await outcomes(attempts, to))).not.toEqual(Object.fromEntries(forward));
  });

  it('an undelivered fault accepts the send and finalizes it as delivery_failed with the code', async () => {
    await sim.control.setFaults({
      rules: [{ vendor: 'telnyx', rate: 1, fault: { kind: 'undelivered', code: '40002' } }],
      callbacks: { delayMs: [0, 5] },
    });
    await sim.control.config({ telnyxInboundUrl: null });
    const ids = nextIds();
    await telnyxSend(ids);
    const final = await until(
      async () => (await sim.control.callbacks({ m: ids.m })).find((r) => r.event === 'message.finalized'),
      'the final callback',
    );
    const payload = (JSON.parse(final.body) as { data: { payload: { to: { status: string }[]; errors: unknown[] } } }).data.payload;
    expect(payload.to[0]!.status).toBe('delivery_failed');
    expect(payload.errors).toEqual([expect.objectContaining({ code: '40002' })]);
  });

  it('refuses an invalid plan with 400 and keeps the current one', async () => {
    await sim.control.setFaults(plan(3));
    const error = await failure(sim.control.setFaults({ rules: [{ vendor: 'telnyx', rate: 2, fault: { kind: 'status', status: 503 } }] }));
    expect(error).toBeInstanceOf(SimulatorControlError);
    expect(error.status).toBe(400);
    expect((await sim.control.faults()).seed).toBe(3);
  });
});
