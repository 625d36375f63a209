import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingActivities } from '../activities/billing';
import { createBillingProvider } from '../providers/billing/registry';
import { billingCustomerWorkflowId } from '../workflows/billing/billing-customer';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { columnsHolding } from './support/database-scan';
import { startHarness, type Harness } from './support/harness';
import { customerOf as customerOfAccount, simulatorCatalogue } from './support/usage';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let h: Harness;
let server: Server;
let stripe: Stripe;
let catalogue: { meterId: string; segmentPriceId: string; platformPriceId: string };

const URLS = { successUrl: 'https://app.example/billing/done', cancelUrl: 'https://app.example/billing' };

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 1616 });
  // The catalogue first, as `npm run billing:setup` does; the product then reads the ids from env.
  catalogue = await simulatorCatalogue(sim);
  h = await startHarness({
    billing: true,
    env: {
      ...sim.env(),
      STRIPE_METER_ID: catalogue.meterId,
      STRIPE_PRICE_SEGMENTS: catalogue.segmentPriceId,
      STRIPE_PRICE_PLATFORM: catalogue.platformPriceId,
    },
  });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await sim.control.config({ stripeWebhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe` });
  stripe = new Stripe(sim.stripeSecretKey, { host: '127.0.0.1', port: sim.port, protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
  await sim?.stop();
});

const customerOf = (accountId: string) => customerOfAccount(h.deps.pgPool, accountId);

async function customersOfAccount(accountId: string): Promise<string[]> {
  const list = await stripe.customers.list({ limit: 100 });
  return list.data.filter((c) => c.metadata.account_id === accountId).map((c) => c.id);
}

async function addCard(account: TestAccount, card = { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031, country: 'DE' }) {
  const res = await request(h.app).post('/v1/billing/checkout-sessions').set(account.auth).send(URLS);
  expect(res.status).toBe(201);
  const done = await sim.control.stripeCompleteSetup({ checkoutSession: res.body.id, card });
  expect(done.status).toBe(200);
  return done;
}

describe('Stripe customer per account', () => {
  it('sign-up creates exactly one customer, even when the activity is retried after a crash', async () => {
    const account = await signUp(h.app);
    const customerId = await customerOf(account.accountId);
    const result = await h.temporal.workflow.getHandle(billingCustomerWorkflowId(account.accountId)).result();
    expect(result).toEqual({ customerId });
    // A crash after Stripe answered but before our row was written: the retried activity sends the same key.
    await h.deps.pgPool.query('update accounts set stripe_customer_id = null where id = $1', [account.accountId]);
    const activities = createBillingActivities({ deps: h.deps, billing: createBillingProvider(h.config), email: null });
    expect(await activities.stripeCustomerIfConfigured(account.accountId)).toBe(customerId);
    await h.deps.pgPool.query('update accounts set stripe_customer_id = null where id = $1', [account.accountId]);
    expect(await activities.ensureStripeCustomer(account.accountId)).toBe(customerId);
    expect(await activities.stripeCustomerIfConfigured(account.accountId)).toBe(customerId);
    expect(await customersOfAccount(account.accountId)).toEqual([customerId]);
    // A worker without Stripe answers null (its workflow waits and asks again) instead of failing.
    await h.deps.pgPool.query('update accounts set stripe_customer_id = null where id = $1', [account.accountId]);
    const unconfigured = createBillingActivities({ deps: h.deps, billing: null, email: null });
    expect(await unconfigured.stripeCustomerIfConfigured(account.accountId)).toBeNull();
    expect(await activities.stripeCustomerIfConfigured(account.accountId)).toBe(customerId);
    const view = await request(h.app).get('/v1/account').set(account.auth);
    expect(view.body.billing).toEqual({ stripeCustomerId: customerId, paymentMethod: null });
  });
});

describe('card by Checkout', () => {
  it('stores brand, last 4, expiry and country only, subscribes the account, and shows them', async () => {
    const account = await signUp(h.app);
    const customerId = await customerOf(account.accountId);
    const done = await addCard(account);
    const billing = await request(h.app).get('/v1/billing').set(account.auth);
    expect(billing.status).toBe(200);
    expect(billing.body.paymentMethod).toEqual({ brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2031, country: 'DE' });
    expect(billing.body.stripeCustomerId).toBe(customerId);
    expect(billing.body.subscription).toMatchObject({ status: 'active' });
    const subscription = await stripe.subscriptions.retrieve(billing.body.subscription.id);
    expect(subscription.items.data.map((i) => i.price.id).sort()).toEqual([catalogue.segmentPriceId, catalogue.platformPriceId].sort());
    expect((await request(h.app).get('/v1/account').set(account.auth)).body.billing.paymentMethod).toEqual(billing.body.paymentMethod);
    // Nothing else of the card anywhere: the funding type Stripe sent is in no table.
    const pm = await stripe.paymentMethods.retrieve(done.paymentMethod);
    expect(pm.card?.funding).toBe('credit');
    const { rows } = await h.deps.pgPool.query<{ t: string }>(
      `select table_name as t from information_schema.columns where table_schema = 'public' and column_name ilike any (array['%funding%', '%fingerprint%', '%cvc%', '%card_number%'])`,
    );
    expect(rows).toEqual([]);
    expect(await columnsHolding(h.deps.pgPool, [Buffer.from('"funding"')])).toEqual([]);
    const { rows: withCard } = await h.deps.pgPool.query<{ n: number }>(
      `select count(*)::int as n from billing_records where account_id = $1 and kind = 'payment_method' and card_last4 = '4444'`,
      [account.accountId],
    );
    expect(withCard[0]!.n).toBe(1);
  });

  it('refuses forged, stale and tampered webhooks; a replay and an older event change nothing', async () => {
    const account = await signUp(h.app);
    const customerId = await customerOf(account.accountId);
    const first = await addCard(account, { brand: 'visa', last4: '1111', exp_month: 1, exp_year: 2030, country: 'US' });
    const second = await addCard(account, { brand: 'amex', last4: '0005', exp_month: 9, exp_year: 2032, country: 'FR' });
    const secret = sim.stripeWebhookSecret;
    const post = (payload: string, header: string) =>
      request(h.app).post('/webhooks/stripe').set('content-type', 'application/json').set('stripe-signature', header).send(payload);
    const nowS = Math.floor(Date.now() / 1000);
    // An older payment_method.attached for the first card (created before the second card's event).
    const older = JSON.stringify({
      id: 'evt_older_1',
      object: 'event',
      type: 'payment_method.attached',
      created: nowS - 3600,
      data: { object: { id: first.paymentMethod, object: 'payment_method', customer: customerId } },
    });
    expectProblem(
      await post(older, stripe.webhooks.generateTestHeaderString({ payload: older, secret: 'whsec_forged' })),
      403,
      'forbidden',
    );
    expectProblem(
      await post(older, stripe.webhooks.generateTestHeaderString({ payload: older, secret, timestamp: nowS - 301 })),
      403,
      'forbidden',
    );
    const header = stripe.webhooks.generateTestHeaderString({ payload: older, secret });
    expectProblem(await post(older.replace('attached', 'detached'), header), 403, 'forbidden');
    const applied = await post(older, header);
    expect(applied.status).toBe(200);
    const replay = await post(older, header);
    expect(replay.body).toEqual({ received: true, replayed: true });
    const billing = await request(h.app).get('/v1/billing').set(account.auth);
    expect(billing.body.paymentMethod).toMatchObject({ brand: 'amex', last4: '0005' });
    expect(second.paymentMethod).not.toBe(first.paymentMethod);
  });

  it('answers bad webhook input with problem+json: unsigned, empty, not JSON, not an event, too large, wrong method', async () => {
    const secret = sim.stripeWebhookSecret;
    const signed = (payload: string) => stripe.webhooks.generateTestHeaderString({ payload, secret });
    const post = (payload: string, header?: string) => {
      const req = request(h.app).post('/webhooks/stripe').set('content-type', 'application/json');
      return (header ? req.set('stripe-signature', header) : req).send(payload);
    };
    const event = JSON.stringify({ id: 'evt_unsigned', object: 'event', type: 'invoice.paid', created: 1, data: { object: {} } });
    expectProblem(await post(event), 403, 'forbidden');
    expectProblem(await post(event, 'v1=abc'), 403, 'forbidden');
    expectProblem(await post('', signed('')), 400, 'malformed_body');
    expectProblem(await post('{"id": ', signed('{"id": ')), 400, 'malformed_body');
    for (const notAnEvent of ['[]', '42', 'null', '{"id":1}', '{"object":"event"}']) {
      expectProblem(await post(notAnEvent, signed(notAnEvent)), 400, 'malformed_body');
    }
    const large = JSON.stringify({ id: 'evt_large', object: 'event', padding: 'x'.repeat(300 * 1024) });
    expectProblem(await post(large, signed(large)), 413);
    const get = await request(h.app).get('/webhooks/stripe');
    expectProblem(get, 405);
    expect(get.headers.allow).toBe('POST');
  });
});

describe('endpoints', () => {
  it('checkout sessions need the admin scope and valid URLs; each account sees only its own billing', async () => {
    const a = await signUp(h.app);
    const b = await signUp(h.app);
    await customerOf(a.accountId);
    await customerOf(b.accountId);
    await addCard(a, { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, country: 'US' });
    const bView = await request(h.app).get('/v1/billing').set(b.auth);
    expect(bView.body.paymentMethod).toBeNull();
    expect(bView.body.records).toEqual([]);
    expectProblem(
      await request(h.app)
        .post('/v1/billing/checkout-sessions')
        .set(a.auth)
        .send({ successUrl: 'javascript:x', cancelUrl: URLS.cancelUrl }),
      422,
    );
    expectProblem(
      await request(h.app)
        .post('/v1/billing/checkout-sessions')
        .set(a.auth)
        .send({ ...URLS, extra: 1 }),
      422,
    );
    expectProblem(
      await request(h.app)
        .post('/v1/billing/checkout-sessions')
        .set(a.auth)
        .send({ successUrl: `https://x.example/${'a'.repeat(3000)}`, cancelUrl: URLS.cancelUrl }),
      422,
    );
    expectProblem(await request(h.app).get('/v1/billing'), 401);
    // A key without the admin scope cannot open a Checkout session; one without read sees no usage.
    const readWrite = await keyWithScopes(a, ['read', 'write']);
    expectProblem(await request(h.app).post('/v1/billing/checkout-sessions').set(readWrite).send(URLS), 403);
    expect((await request(h.app).get('/v1/billing').set(readWrite)).status).toBe(200);
    expect((await request(h.app).get('/v1/usage').set(readWrite)).status).toBe(200);
    const writeOnly = await keyWithScopes(a, ['write']);
    expectProblem(await request(h.app).get('/v1/usage').set(writeOnly), 403);
    expectProblem(await request(h.app).get('/v1/billing').set(writeOnly), 403);
  });
});

async function keyWithScopes(account: TestAccount, scopes: string[]): Promise<{ Authorization: string }> {
  const key = await request(h.app)
    .post('/v1/api-keys')
    .set(account.auth)
    .send({ name: scopes.join('+'), scopes });
  expect(key.status, JSON.stringify(key.body)).toBe(201);
  return { Authorization: `Bearer ${key.body.key as string}` };
}
