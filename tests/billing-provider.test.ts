import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BillingProviderError, BillingWebhookRejected } from '../providers/billing/billing-provider';
import { StripeBillingProvider } from '../providers/billing/stripe/stripe-billing-provider';
import { startHttpReceiver, until, type HttpReceiver } from './support/http-receiver';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let receiver: HttpReceiver;
let billing: StripeBillingProvider;
let stripe: Stripe;

const CATALOGUE = { currency: 'usd', segmentUnitAmountDecimal: '0.79', platformMonthlyAmount: 2900 };

beforeAll(async () => {
  receiver = await startHttpReceiver();
  sim = await startSimulatorProcess({ seed: 16, stripeWebhookUrl: `${receiver.url}/webhooks/stripe` });
  billing = new StripeBillingProvider({
    secretKey: sim.stripeSecretKey,
    webhookSecret: sim.stripeWebhookSecret,
    baseUrl: sim.url,
    timeoutMs: 5_000,
  });
  stripe = new Stripe(sim.stripeSecretKey, { host: '127.0.0.1', port: sim.port, protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

beforeEach(async () => {
  await sim.control.reset();
  await sim.control.config({ stripeWebhookUrl: `${receiver.url}/webhooks/stripe` });
});

describe('StripeBillingProvider against the simulator', () => {
  it('creates one customer per idempotency key, carrying only the account id', async () => {
    const first = await billing.createCustomer({ accountId: 'acct-1', idempotencyKey: 'billing-customer/acct-1' });
    const again = await billing.createCustomer({ accountId: 'acct-1', idempotencyKey: 'billing-customer/acct-1' });
    expect(again.customerId).toBe(first.customerId);
    const customer = (await stripe.customers.retrieve(first.customerId)) as Stripe.Customer;
    expect(customer.metadata).toEqual({ account_id: 'acct-1' });
    expect(customer.email).toBeNull();
    expect(customer.name).toBeNull();
  });

  it('sets up the catalogue once: a second run finds the meter and both prices by lookup key', async () => {
    const first = await billing.ensureCatalogue(CATALOGUE);
    const second = await billing.ensureCatalogue(CATALOGUE);
    expect(second).toEqual(first);
    const meter = await stripe.billing.meters.retrieve(first.meterId);
    expect(meter).toMatchObject({
      event_name: 'sms_segments',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id' },
    });
    const segment = await stripe.prices.retrieve(first.segmentPriceId);
    expect(segment).toMatchObject({
      lookup_key: 'massivesms_sms_segment',
      unit_amount: null,
      recurring: { usage_type: 'metered', meter: first.meterId },
    });
    expect(String(segment.unit_amount_decimal)).toBe('0.79');
    const platform = await stripe.prices.retrieve(first.platformPriceId);
    expect(platform).toMatchObject({
      lookup_key: 'massivesms_platform_monthly',
      unit_amount: 2900,
      recurring: { interval: 'month', usage_type: 'licensed' },
    });
  });

  it('sends meter events once per identifier and reads Stripe’s summary back', async () => {
    const { meterId } = await billing.ensureCatalogue(CATALOGUE);
    const { customerId } = await billing.createCustomer({ accountId: 'acct-2', idempotencyKey: 'k2' });
    const at = new Date('2026-12-01T10:00:30Z');
    const events = [1, 2, 3].map((value, i) => ({ identifier: `u-${i}`, stripeCustomerId: customerId, value, timestamp: at }));
    expect(await billing.sendMeterEvents(events)).toEqual(events.map((e) => ({ identifier: e.identifier, accepted: true })));
    expect(await billing.sendMeterEvents(events.slice(0, 2))).toHaveLength(2);
    const summaries = await billing.meterEventSummaries(
      meterId,
      customerId,
      new Date('2026-12-01T10:00:00Z'),
      new Date('2026-12-01T10:01:00Z'),
    );
    expect(summaries.map((s) => s.aggregatedValue)).toEqual([6]);
    const outside = await billing.meterEventSummaries(
      meterId,
      customerId,
      new Date('2026-12-01T10:01:00Z'),
      new Date('2026-12-01T11:00:00Z'),
    );
    expect(outside.map((s) => s.aggregatedValue)).toEqual([0]);
  });

  it('streams more than one request’s worth of events, each counted once, and opens a new session when Stripe’s expires', async () => {
    const { customerId } = await billing.createCustomer({ accountId: 'acct-3', idempotencyKey: 'k3' });
    const at = new Date('2026-12-01T10:00:30Z');
    const events = Array.from({ length: 250 }, (_, i) => ({
      identifier: `s-${i}`,
      stripeCustomerId: customerId,
      value: 1 + (i % 3),
      timestamp: at,
    }));
    const all = events.map((e) => ({ identifier: e.identifier, accepted: true }));
    expect(await billing.sendMeterEvents(events)).toEqual(all);
    await sim.control.expireMeterSessions();
    // Resent after the token lapsed: accepted under a new session, not counted again.
    expect(await billing.sendMeterEvents(events)).toEqual(all);
    const recorded = await sim.control.meterEvents(customerId);
    expect(recorded).toHaveLength(250);
    expect(recorded.reduce((sum, e) => sum + Number(e.value), 0)).toBe(events.reduce((sum, e) => sum + e.value, 0));
    expect(new Set(recorded.map((e) => e.timestamp))).toEqual(new Set([at.getTime() / 1000]));
  });

  it('fails a whole streamed batch with one classified error: 503 retryable, 429 rate limit', async () => {
    const { customerId } = await billing.createCustomer({ accountId: 'acct-4', idempotencyKey: 'k4' });
    const events = [1, 2].map((value, i) => ({ identifier: `f-${i}`, stripeCustomerId: customerId, value, timestamp: new Date() }));
    await sim.control.setFaults({ rules: [{ vendor: 'stripe', op: 'meter_events', rate: 1, fault: { kind: 'status', status: 503 } }] });
    const failed = await billing.sendMeterEvents(events);
    expect(failed.map((r) => (r.accepted ? 'accepted' : `${r.error.kind}:${r.error.code}`))).toEqual([
      'retryable:api_error',
      'retryable:api_error',
    ]);
    await sim.control.setFaults({ rules: [{ vendor: 'stripe', op: 'meter_events', rate: 1, fault: { kind: 'status', status: 429 } }] });
    const limited = await billing.sendMeterEvents(events);
    expect(limited.map((r) => (r.accepted ? 'accepted' : `${r.error.kind}:${r.error.code}`))).toEqual([
      'retryable:rate_limit',
      'retryable:rate_limit',
    ]);
    expect(await sim.control.meterEvents(customerId)).toEqual([]);
  });

  it('classifies failures: refused connection retryable, unknown object and idempotency mismatch permanent', async () => {
    const refused = new StripeBillingProvider({
      secretKey: 'sk_test_x',
      webhookSecret: 'whsec_x',
      baseUrl: 'http://127.0.0.1:1',
      timeoutMs: 2_000,
    });
    await expect(refused.createCustomer({ accountId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({
      kind: 'retryable',
      code: 'ECONNREFUSED',
    });
    const [result] = await refused.sendMeterEvents([{ identifier: 'x', stripeCustomerId: 'cus_x', value: 1, timestamp: new Date() }]);
    expect(result).toMatchObject({ accepted: false, error: { kind: 'retryable', code: 'ECONNREFUSED' } });
    await expect(billing.retrieveInvoice('in_missing')).rejects.toMatchObject({
      kind: 'permanent',
      code: 'resource_missing',
      statusCode: 404,
    });
    await billing.createCustomer({ accountId: 'a', idempotencyKey: 'same' });
    const mismatch = await billing.createCustomer({ accountId: 'b', idempotencyKey: 'same' }).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(BillingProviderError);
    expect(mismatch).toMatchObject({ kind: 'permanent', code: 'idempotency_error' });
    const badKey = new StripeBillingProvider({ secretKey: 'sk_test_wrong', webhookSecret: 'whsec_x', baseUrl: sim.url, timeoutMs: 2_000 });
    await expect(badKey.createCustomer({ accountId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({
      kind: 'permanent',
      statusCode: 401,
    });
  });

  it('subscribes a customer and cancels with a final invoice for the usage to date', async () => {
    const catalogue = await billing.ensureCatalogue(CATALOGUE);
    const { customerId } = await billing.createCustomer({ accountId: 'acct-3', idempotencyKey: 'k3' });
    const subscription = await billing.createSubscription({
      customerId,
      accountId: 'acct-3',
      priceIds: [catalogue.segmentPriceId, catalogue.platformPriceId],
      defaultPaymentMethodId: null,
      idempotencyKey: 'sub/acct-3',
    });
    expect(subscription).toMatchObject({ customerId, status: 'active' });
    await billing.sendMeterEvents([{ identifier: 'u-final', stripeCustomerId: customerId, value: 100, timestamp: new Date() }]);
    const canceled = await billing.cancelSubscriptionWithFinalInvoice(subscription.id, { idempotencyKey: 'cancel/acct-3' });
    expect(canceled.status).toBe('canceled');
    const raw = await stripe.subscriptions.retrieve(subscription.id);
    const invoice = await billing.retrieveInvoice(raw.latest_invoice as string);
    expect(invoice).toMatchObject({ customerId, subscriptionId: subscription.id, amountDue: 79, status: 'open' });
    // Cancelling twice (a retried termination) is not an error.
    expect((await billing.cancelSubscriptionWithFinalInvoice(subscription.id, { idempotencyKey: 'cancel/acct-3' })).status).toBe(
      'canceled',
    );
  });

  it('verifies webhooks: the simulator’s signed event passes; forged, tampered and stale ones are rejected', async () => {
    const { customerId } = await billing.createCustomer({ accountId: 'acct-4', idempotencyKey: 'k4' });
    const { invoice, events } = await sim.control.stripeIssueInvoice({ customer: customerId, amountDue: 500, outcome: 'payment_failed' });
    const failedId = events[1]!.eventId;
    const request = await until(() => receiver.requests.find((r) => r.body.includes(failedId)), 'the payment_failed event');
    const signature = String(request.headers['stripe-signature']);
    const event = billing.parseWebhook(Buffer.from(request.body), signature);
    expect(event).toMatchObject({ id: failedId, type: 'invoice.payment_failed', object: { id: invoice, customer: customerId } });

    const reject = (body: string, header: string | undefined) => {
      try {
        billing.parseWebhook(Buffer.from(body), header);
        return null;
      } catch (err) {
        return err instanceof BillingWebhookRejected ? err.reason : err;
      }
    };
    expect(reject(request.body.replace('payment_failed', 'paid'), signature)).toBe('signature');
    expect(reject(request.body, undefined)).toBe('signature');
    const forged = stripe.webhooks.generateTestHeaderString({ payload: request.body, secret: 'whsec_not_ours' });
    expect(reject(request.body, forged)).toBe('signature');
    const stale = stripe.webhooks.generateTestHeaderString({
      payload: request.body,
      secret: sim.stripeWebhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(reject(request.body, stale)).toBe('stale');
  });
});
