import Stripe from 'stripe';
import Telnyx from 'telnyx';
import twilio from 'twilio';
import { Resend } from 'resend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, until, type HttpReceiver, type ReceivedRequest } from './support/http-receiver';
import { officialSmsClients, type TwilioClient } from './support/sdk-clients';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

const FROM = '+15550100001';

let sim: SimulatorProcess;
let receiver: HttpReceiver;
let telnyx: Telnyx;
let tw: TwilioClient;
let seq = 0;

/** A fresh destination and message/attempt ids per case, so cases never see each other's callbacks. */
function nextIds() {
  seq += 1;
  return { to: `+1555020${String(seq).padStart(4, '0')}`, m: `msg-${seq}`, a: `att-${seq}` };
}

function headersOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
}

/** The parts of a Telnyx webhook event these tests read. */
interface TelnyxEvent {
  data: { event_type: string; payload: { id: string; to: { status: string }[] } & Record<string, unknown> };
  meta: unknown;
}

async function unwrapTelnyx(request: ReceivedRequest): Promise<TelnyxEvent> {
  const verifier = new Telnyx({ apiKey: 'unused', publicKey: sim.telnyxPublicKey });
  return (await verifier.webhooks.unwrap(request.body, { headers: headersOf(request) })) as unknown as TelnyxEvent;
}

function formOf(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

beforeAll(async () => {
  receiver = await startHttpReceiver();
  sim = await startSimulatorProcess({ seed: 11 });
  await sim.control.config({
    telnyxInboundUrl: `${receiver.url}/webhooks/telnyx`,
    twilioInboundUrl: `${receiver.url}/webhooks/twilio/inbound`,
    stripeWebhookUrl: `${receiver.url}/webhooks/stripe`,
  });
  ({ telnyx, tw } = officialSmsClients(sim));
});

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

beforeEach(async () => {
  await sim.control.reset();
  receiver.answerWith(200);
});

describe('simulator process', () => {
  it('prints its ports and gives the product env that points every SDK at it', () => {
    const env = sim.env();
    expect(env).toEqual({
      TELNYX_API_KEY: sim.telnyxApiKey,
      TELNYX_BASE_URL: `http://127.0.0.1:${sim.telnyxPort}/v2`,
      TELNYX_PUBLIC_KEY: sim.telnyxPublicKey,
      TWILIO_ACCOUNT_SID: sim.twilio.accountSid,
      TWILIO_AUTH_TOKEN: sim.twilio.authToken,
      TWILIO_BASE_URL: `http://127.0.0.1:${sim.twilioPort}`,
      RESEND_API_KEY: sim.resendApiKey,
      RESEND_BASE_URL: sim.url,
      STRIPE_SECRET_KEY: sim.stripeSecretKey,
      STRIPE_BASE_URL: sim.url,
      STRIPE_WEBHOOK_SECRET: sim.stripeWebhookSecret,
      POSTHOG_API_KEY: sim.posthogApiKey,
      POSTHOG_HOST: sim.url,
    });
    expect(new Set([sim.port, sim.telnyxPort, sim.twilioPort]).size).toBe(3);
    expect(Buffer.from(sim.telnyxPublicKey, 'base64')).toHaveLength(32);
  });
});

describe('Telnyx v2 through the official SDK', () => {
  it('sends, retrieves and finds the message by destination, recorded once in the ledger', async () => {
    const { to, m, a } = nextIds();
    const webhookUrl = `${receiver.url}/webhooks/telnyx?m=${m}&a=${a}`;
    const sent = await telnyx.messages.send({ from: FROM, to, text: 'Hello {world}', webhook_url: webhookUrl });
    const id = sent.data!.id!;
    expect(sent.data).toMatchObject({
      record_type: 'message',
      direction: 'outbound',
      from: { phone_number: FROM },
      to: [{ phone_number: to, status: 'queued' }],
      text: 'Hello {world}',
      encoding: 'GSM-7',
      parts: 1,
      webhook_url: webhookUrl,
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const retrieved = await telnyx.messages.retrieve(id);
    expect(retrieved.data?.id).toBe(id);

    const records = [];
    for await (const record of telnyx.detailRecords.list({ filter: { record_type: 'messaging', cld: to } })) records.push(record);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id,
      cld: to,
      cli: FROM,
      delivery_status_webhook_url: webhookUrl,
      record_type: 'message_detail_record',
    });

    const ledger = await sim.control.ledger({ m });
    expect(ledger.total).toBe(1);
    expect(ledger.entries[0]).toMatchObject({ vendor: 'telnyx', id, from: FROM, to, text: 'Hello {world}', m, a, segments: 1 });
    expect((await sim.control.ledger({ a })).entries.map((e) => e.id)).toEqual([id]);
  });

  it('rejects a wrong API key and an invalid destination the way Telnyx does', async () => {
    const intruder = new Telnyx({ apiKey: 'KEY-wrong', baseURL: sim.telnyxBaseUrl, maxRetries: 0 });
    await expect(intruder.messages.send({ from: FROM, to: '+15551230000', text: 'x' })).rejects.toBeInstanceOf(Telnyx.AuthenticationError);
    const invalid = await telnyx.messages.send({ from: FROM, to: '12', text: 'x' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Telnyx.BadRequestError);
    expect((invalid as InstanceType<typeof Telnyx.BadRequestError>).error).toMatchObject({ errors: [{ code: '40310' }] });
    expect((await sim.control.summary()).total).toBe(0);
  });

  it('posts message.sent then message.finalized, signed so the SDK unwraps them', async () => {
    const { to, m, a } = nextIds();
    const sent = await telnyx.messages.send({
      from: FROM,
      to,
      text: 'é ünïcode ✓',
      webhook_url: `${receiver.url}/webhooks/telnyx?m=${m}&a=${a}`,
    });
    const mine = () => receiver.requests.filter((r) => r.path === `/webhooks/telnyx?m=${m}&a=${a}`);
    await until(() => mine().length === 2, 'two Telnyx status callbacks');
    const events: TelnyxEvent[] = [];
    for (const request of mine()) events.push(await unwrapTelnyx(request));
    expect(events.map((e) => e.data.event_type)).toEqual(['message.sent', 'message.finalized']);
    expect(events.map((e) => e.data.payload.to[0]!.status)).toEqual(['sent', 'delivered']);
    expect(events[1]!.data.payload).toMatchObject({ id: sent.data!.id, encoding: 'UCS-2', direction: 'outbound' });
    expect(events[0]!.meta).toEqual({ attempt: 1, delivered_to: `${receiver.url}/webhooks/telnyx?m=${m}&a=${a}` });

    const tampered = mine()[1]!;
    await expect(unwrapTelnyx({ ...tampered, body: tampered.body.replace('delivered', 'delivery_failed') })).rejects.toThrow(
      'Signature verification failed',
    );
    const entry = (await sim.control.ledger({ m })).entries[0]!;
    expect(entry.status).toBe('delivered');
  });
});

describe('Twilio 2010-04-01 through the official SDK', () => {
  it('creates, fetches and lists by To/From/DateSent, recorded once in the ledger', async () => {
    const { to, m, a } = nextIds();
    const before = new Date(Date.now() - 1000);
    const statusCallback = `${receiver.url}/webhooks/twilio/status?m=${m}&a=${a}`;
    const created = await tw.messages.create({ from: FROM, to, body: 'Hello there', statusCallback });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      status: 'queued',
      to,
      from: FROM,
      body: 'Hello there',
      numSegments: '1',
      direction: 'outbound-api',
      accountSid: sim.twilio.accountSid,
    });
    expect(created.dateCreated).toBeInstanceOf(Date);

    const fetched = await tw.messages(created.sid).fetch();
    expect(fetched.sid).toBe(created.sid);

    const other = await tw.messages.create({ from: '+15550100002', to, body: 'From another number' });
    const listed = await tw.messages.list({ to, from: FROM, dateSentAfter: before });
    expect(listed.map((msg) => msg.sid)).toEqual([created.sid]);
    const both = await tw.messages.list({ to, dateSentAfter: before });
    expect(both.map((msg) => msg.sid).sort()).toEqual([created.sid, other.sid].sort());
    expect(await tw.messages.list({ to, dateSentAfter: new Date(Date.now() + 60_000) })).toEqual([]);

    const ledger = await sim.control.ledger({ m });
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.entries[0]).toMatchObject({ vendor: 'twilio', id: created.sid, m, a, to, from: FROM });
  });

  it('pages a long list with next_page_uri', async () => {
    const { to } = nextIds();
    const sids = new Set<string>();
    for (let i = 0; i < 7; i++) sids.add((await tw.messages.create({ from: FROM, to, body: `n${i}` })).sid);
    const listed = await tw.messages.list({ to, pageSize: 3 });
    expect(listed).toHaveLength(7);
    expect(new Set(listed.map((msg) => msg.sid))).toEqual(sids);
  });

  it('rejects bad credentials and an invalid To with Twilio error codes', async () => {
    const intruder = twilio(sim.twilio.accountSid, 'wrong-token');
    intruder.api.baseUrl = sim.twilioBaseUrl;
    await expect(intruder.messages.create({ from: FROM, to: '+15551230000', body: 'x' })).rejects.toMatchObject({
      status: 401,
      code: 20003,
    });
    await expect(tw.messages.create({ from: FROM, to: 'not-a-number', body: 'x' })).rejects.toMatchObject({ status: 400, code: 21211 });
  });

  it('posts sent then delivered status callbacks that validateRequest accepts', async () => {
    const { to, m, a } = nextIds();
    const url = `${receiver.url}/webhooks/twilio/status?m=${m}&a=${a}`;
    const created = await tw.messages.create({ from: FROM, to, body: 'status please', statusCallback: url });
    const mine = () => receiver.requests.filter((r) => r.url === url);
    await until(() => mine().length === 2, 'two Twilio status callbacks');
    for (const request of mine()) {
      expect(twilio.validateRequest(sim.twilio.authToken, String(request.headers['x-twilio-signature']), url, formOf(request.body))).toBe(
        true,
      );
    }
    expect(mine().map((r) => formOf(r.body).MessageStatus)).toEqual(['sent', 'delivered']);
    expect(formOf(mine()[1]!.body)).toMatchObject({
      MessageSid: created.sid,
      SmsSid: created.sid,
      AccountSid: sim.twilio.accountSid,
      From: FROM,
      To: to,
      ApiVersion: '2010-04-01',
    });
    const forged = { ...formOf(mine()[1]!.body), MessageStatus: 'failed' };
    expect(twilio.validateRequest(sim.twilio.authToken, String(mine()[1]!.headers['x-twilio-signature']), url, forged)).toBe(false);
  });
});

describe('callbacks', () => {
  it('retries a callback the receiver refuses and logs every attempt for a verbatim replay', async () => {
    receiver.answerWith(500);
    const { to, m, a } = nextIds();
    const url = `${receiver.url}/webhooks/twilio/status?m=${m}&a=${a}`;
    await tw.messages.create({ from: FROM, to, body: 'retry me', statusCallback: url });
    await until(async () => (await sim.control.callbacks({ m })).length >= 2, 'a retried callback');
    receiver.answerWith(200);
    const log = await until(async () => {
      const records = await sim.control.callbacks({ m, kind: 'status' });
      return records.some((r) => r.event === 'delivered' && r.answerStatus === 200) ? records : undefined;
    }, 'the final callback delivered');
    const sentAttempts = log.filter((r) => r.event === 'sent');
    expect(sentAttempts[0]).toMatchObject({ attempt: 1, answerStatus: 500, url });
    expect(sentAttempts.at(-1)).toMatchObject({ answerStatus: 200 });
    expect(sentAttempts.at(-1)!.attempt).toBeGreaterThan(1);

    const record = log.find((r) => r.event === 'delivered')!;
    const replay = await fetch(record.url, { method: record.method, headers: record.headers, body: record.body });
    expect(replay.status).toBe(200);
    const replayed = receiver.requests.at(-1)!;
    expect(replayed.body).toBe(record.body);
    expect(twilio.validateRequest(sim.twilio.authToken, String(replayed.headers['x-twilio-signature']), url, formOf(replayed.body))).toBe(
      true,
    );
  });

  it('queues callbacks behind a bounded number in flight instead of flooding the receiver', async () => {
    await sim.control.setFaults({ callbacks: { mode: 'final', delayMs: [0, 0], concurrency: 2 } });
    receiver.hold();
    const first = receiver.requests.length;
    const ms: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const ids = nextIds();
        ms.push(ids.m);
        await telnyx.messages.send({
          from: FROM,
          to: ids.to,
          text: 'burst',
          webhook_url: `${receiver.url}/webhooks/telnyx?m=${ids.m}&a=${ids.a}`,
        });
      }
      await until(async () => (await sim.control.callbackStats()).queued === 4, 'four callbacks waiting in the queue');
      expect(await sim.control.callbackStats()).toMatchObject({ inFlight: 2, queued: 4, delivered: 0 });
      await until(() => receiver.requests.length - first === 2, 'two callbacks at the receiver');
    } finally {
      receiver.release();
    }
    await until(async () => (await sim.control.callbackStats()).delivered === 6, 'all six delivered');
    expect(receiver.requests.length - first).toBe(6);
  });

  it("honours the plan's callback mode: final only, then none", async () => {
    await sim.control.setFaults({ callbacks: { mode: 'final', delayMs: [0, 5] } });
    const first = nextIds();
    await telnyx.messages.send({
      from: FROM,
      to: first.to,
      text: 'final only',
      webhook_url: `${receiver.url}/webhooks/telnyx?m=${first.m}&a=${first.a}`,
    });
    await until(async () => (await sim.control.ledger({ m: first.m })).entries[0]?.status === 'delivered', 'delivery');
    await until(
      async () => (await sim.control.callbackStats()).queued === 0 && (await sim.control.callbackStats()).inFlight === 0,
      'an idle queue',
    );
    expect((await sim.control.callbacks({ m: first.m })).map((r) => r.event)).toEqual(['message.finalized']);

    await sim.control.setFaults({ callbacks: { mode: 'none', delayMs: [0, 5] } });
    const second = nextIds();
    await telnyx.messages.send({
      from: FROM,
      to: second.to,
      text: 'silent',
      webhook_url: `${receiver.url}/webhooks/telnyx?m=${second.m}&a=${second.a}`,
    });
    await until(async () => (await sim.control.ledger({ m: second.m })).entries[0]?.status === 'delivered', 'delivery');
    expect(await sim.control.callbacks({ m: second.m })).toEqual([]);
  });

  it('reports a failed delivery when the plan says so', async () => {
    await sim.control.setFaults({ callbacks: { outcome: 'failed', delayMs: [0, 5] } });
    const { to, m, a } = nextIds();
    const url = `${receiver.url}/webhooks/twilio/status?m=${m}&a=${a}`;
    await tw.messages.create({ from: FROM, to, body: 'doomed', statusCallback: url });
    await until(() => receiver.requests.filter((r) => r.url === url).length === 2, 'two callbacks');
    const final = formOf(receiver.requests.filter((r) => r.url === url)[1]!.body);
    expect(final).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30003' });
    const fetched = (await sim.control.ledger({ m })).entries[0]!;
    expect(fetched).toMatchObject({ status: 'failed', errorCode: '30003' });
  });
});

describe('inbound on command', () => {
  it('sends a signed Telnyx message.received and answers with the product status', async () => {
    receiver.answerWith(202);
    const result = await sim.control.inbound({ vendor: 'telnyx', from: '+15550300001', to: FROM, text: 'Hello back' });
    expect(result.status).toBe(202);
    const request = receiver.requests.find((r) => r.path === '/webhooks/telnyx' && r.body.includes(result.id))!;
    const event = await unwrapTelnyx(request);
    expect(event.data).toMatchObject({
      event_type: 'message.received',
      payload: {
        id: result.id,
        direction: 'inbound',
        text: 'Hello back',
        from: { phone_number: '+15550300001' },
        to: [{ phone_number: FROM }],
      },
    });
  });

  it('sends a signed Twilio inbound form, with OptOutType for a STOP keyword', async () => {
    const result = await sim.control.inbound({ vendor: 'twilio', from: '+15550300002', to: FROM, text: ' stop ' });
    expect(result.status).toBe(200);
    const request = receiver.requests.find((r) => r.path === '/webhooks/twilio/inbound' && r.body.includes(result.id))!;
    const form = formOf(request.body);
    expect(twilio.validateRequest(sim.twilio.authToken, String(request.headers['x-twilio-signature']), request.url, form)).toBe(true);
    expect(form).toMatchObject({
      MessageSid: result.id,
      From: '+15550300002',
      To: FROM,
      Body: ' stop ',
      NumMedia: '0',
      NumSegments: '1',
      OptOutType: 'STOP',
    });
    const plain = await sim.control.inbound({ vendor: 'twilio', from: '+15550300002', to: FROM, text: 'stop it please' });
    const plainForm = formOf(receiver.requests.find((r) => r.body.includes(plain.id))!.body);
    expect(plainForm.OptOutType).toBeUndefined();
  });
});

describe('ledger summary', () => {
  it('counts distinct messages and lists duplicates by message id across vendors', async () => {
    const { to, m } = nextIds();
    await telnyx.messages.send({ from: FROM, to, text: 'once', webhook_url: `${receiver.url}/webhooks/telnyx?m=${m}&a=x1` });
    await tw.messages.create({ from: FROM, to, body: 'twice', statusCallback: `${receiver.url}/webhooks/twilio/status?m=${m}&a=x2` });
    await tw.messages.create({
      from: FROM,
      to,
      body: 'single',
      statusCallback: `${receiver.url}/webhooks/twilio/status?m=${m}-other&a=x3`,
    });
    await tw.messages.create({ from: FROM, to, body: 'no callback' });
    const summary = await sim.control.summary();
    expect(summary).toMatchObject({
      total: 4,
      byVendor: { telnyx: 1, twilio: 3 },
      distinctMessages: 2,
      withoutMessageId: 1,
      duplicates: [{ m, count: 2 }],
      duplicateCount: 1,
    });
    expect((await sim.control.ledger({ to, vendor: 'twilio' })).total).toBe(3);
  });
});

describe('Resend through the official SDK', () => {
  it('sends once per Idempotency-Key and refuses the key with another body', async () => {
    const resend = new Resend(sim.resendApiKey, { baseUrl: sim.url });
    const email = { from: 'MassiveSMS <no-reply@massivesms.example>', to: 'owner@example.com', subject: 'Welcome', text: 'Hi' };
    const first = await resend.emails.send(email, { idempotencyKey: 'welcome/u-1' });
    const again = await resend.emails.send(email, { idempotencyKey: 'welcome/u-1' });
    expect(first.error).toBeNull();
    expect(again.data?.id).toBe(first.data?.id);
    const conflict = await resend.emails.send({ ...email, subject: 'Other' }, { idempotencyKey: 'welcome/u-1' });
    expect(conflict.error).toMatchObject({ name: 'invalid_idempotent_request', statusCode: 409 });
    expect(await sim.control.emails('owner@example.com')).toHaveLength(1);

    const fetched = await resend.emails.get(first.data!.id);
    expect(fetched.data).toMatchObject({ id: first.data!.id, subject: 'Welcome', to: ['owner@example.com'] });
    const unkeyed = await resend.emails.send(email);
    expect(unkeyed.data?.id).not.toBe(first.data?.id);
    expect(await sim.control.emails('owner@example.com')).toHaveLength(2);
  });
});

describe('Stripe through the official SDK', () => {
  let stripe: Stripe;
  beforeAll(() => {
    stripe = new Stripe(sim.stripeSecretKey, { host: '127.0.0.1', port: sim.port, protocol: 'http', maxNetworkRetries: 0, timeout: 5_000 });
  });

  it('creates and retrieves customers, replaying an Idempotency-Key and refusing it with other params', async () => {
    const customer = await stripe.customers.create({ email: 'a@example.com', metadata: { tenant_id: 't1' } }, { idempotencyKey: 'cust-1' });
    expect(customer).toMatchObject({ object: 'customer', email: 'a@example.com', metadata: { tenant_id: 't1' } });
    const replayed = await stripe.customers.create({ email: 'a@example.com', metadata: { tenant_id: 't1' } }, { idempotencyKey: 'cust-1' });
    expect(replayed.id).toBe(customer.id);
    await expect(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'cust-1' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      statusCode: 404,
    });
  });

  it('deduplicates meter events by identifier', async () => {
    const customer = await stripe.customers.create({ email: 'm@example.com' });
    const event = { event_name: 'sms_segments', payload: { stripe_customer_id: customer.id, value: '3' }, identifier: 'usage-1' };
    await stripe.billing.meterEvents.create(event);
    // A retry under a new request (new Idempotency-Key) with the same identifier is not counted again.
    const repeat = await stripe.billing.meterEvents.create({ ...event, payload: { ...event.payload, value: '5' } });
    expect(repeat).toMatchObject({ object: 'billing.meter_event', identifier: 'usage-1', event_name: 'sms_segments' });
    await stripe.billing.meterEvents.create({ ...event, identifier: 'usage-2' });
    const recorded = await sim.control.meterEvents(customer.id);
    expect(recorded.map((e) => [e.identifier, e.value])).toEqual([
      ['usage-1', '3'],
      ['usage-2', '3'],
    ]);
  });

  it('streams meter events on v2 with a session token: batches of at most 100, deduplicated with v1, expired tokens refused', async () => {
    const customer = await stripe.customers.create({ email: 'v2@example.com' });
    const event = (identifier: string, value: string) => ({
      event_name: 'sms_segments',
      identifier,
      timestamp: '2026-12-01T10:00:30.000Z',
      payload: { stripe_customer_id: customer.id, value },
    });
    await stripe.billing.meterEvents.create({ ...event('usage-1', '3'), timestamp: 1_796_119_230 });
    const session = await stripe.v2.billing.meterEventSession.create();
    expect(session).toMatchObject({ object: 'v2.billing.meter_event_session', livemode: false });
    expect(Date.parse(session.expires_at) - Date.parse(session.created)).toBe(15 * 60_000);
    const asSession = { apiKey: session.authentication_token };
    await stripe.v2.billing.meterEventStream.create({ events: [event('usage-1', '9'), event('usage-2', '4')] }, asSession);
    const tooMany = Array.from({ length: 101 }, (_, i) => event(`many-${i}`, '1'));
    await expect(stripe.v2.billing.meterEventStream.create({ events: tooMany }, asSession)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
    });
    // The secret key is not a session token.
    await expect(stripe.v2.billing.meterEventStream.create({ events: [event('usage-3', '1')] })).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    });
    await sim.control.expireMeterSessions();
    await expect(stripe.v2.billing.meterEventStream.create({ events: [event('usage-3', '1')] }, asSession)).rejects.toMatchObject({
      type: 'TemporarySessionExpiredError',
      statusCode: 401,
    });
    const recorded = await sim.control.meterEvents(customer.id);
    expect(recorded.map((e) => [e.identifier, e.value, e.timestamp])).toEqual([
      ['usage-1', '3', 1_796_119_230],
      ['usage-2', '4', 1_796_119_230],
    ]);
  });

  it('completes a setup intent and a checkout session with signed events constructEvent accepts', async () => {
    const customer = await stripe.customers.create({ email: 's@example.com' });
    const intent = await stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    expect(intent).toMatchObject({ object: 'setup_intent', status: 'requires_payment_method', customer: customer.id });
    const done = await sim.control.stripeCompleteSetup({
      setupIntent: intent.id,
      card: { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 },
    });
    expect(done.status).toBe(200);
    const request = receiver.requests.find((r) => r.path === '/webhooks/stripe' && r.body.includes(done.eventId))!;
    const event = stripe.webhooks.constructEvent(request.body, String(request.headers['stripe-signature']), sim.stripeWebhookSecret);
    expect(event.type).toBe('setup_intent.succeeded');
    expect(event.data.object).toMatchObject({ id: intent.id, status: 'succeeded', payment_method: done.paymentMethod });
    const pm = await stripe.paymentMethods.retrieve(done.paymentMethod);
    expect(pm.card).toMatchObject({ brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 });
    expect(() =>
      stripe.webhooks.constructEvent(
        request.body.replace('succeeded', 'canceled'),
        String(request.headers['stripe-signature']),
        sim.stripeWebhookSecret,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);

    const session = await stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      currency: 'usd',
      success_url: 'https://x.example/ok',
      cancel_url: 'https://x.example/no',
    });
    const completed = await sim.control.stripeCompleteSetup({ checkoutSession: session.id });
    const sessionRequest = receiver.requests.find((r) => r.body.includes(completed.eventId))!;
    const sessionEvent = stripe.webhooks.constructEvent(
      sessionRequest.body,
      String(sessionRequest.headers['stripe-signature']),
      sim.stripeWebhookSecret,
    );
    expect(sessionEvent.type).toBe('checkout.session.completed');
    expect(sessionEvent.data.object).toMatchObject({ id: session.id, status: 'complete', setup_intent: session.setup_intent });
  });
});
