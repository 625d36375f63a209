import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { createTerminationActivities } from '../activities/termination';
import { createEmailSender } from '../providers/email/registry';
import { KEPT_CLASSES } from '../services/termination/deletion-steps';
import { TerminationKey } from '../services/termination/termination-key';
import { terminationWorkflowId } from '../workflows/lifecycle/termination';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { until } from './support/http-receiver';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';
import { startTimeSkipping, timeSkippingBackgroundWorker } from './support/time-skipping';
import { simulatorBilling, simulatorCatalogue } from './support/usage';

/**
 * A terminated account's billing: the termination process cancels the Stripe subscription with a
 * final invoice for the usage to date, and the billing records outlive the deletion (without the
 * card's display fields) until the retention run purges them at 7 years (tests/retention.test.ts).
 */
let sim: SimulatorProcess;
let env: TestWorkflowEnvironment;
let h: Harness;
let app: Express;
let server: Server;
let stripe: Stripe;
let background: { stop(): Promise<void> } | undefined;
let catalogue: { meterId: string; segmentPriceId: string; platformPriceId: string };

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 1608 });
  catalogue = await simulatorCatalogue(sim);
  env = await startTimeSkipping();
  h = await startHarness({
    env: {
      ...sim.env(),
      STRIPE_METER_ID: catalogue.meterId,
      STRIPE_PRICE_SEGMENTS: catalogue.segmentPriceId,
      STRIPE_PRICE_PLATFORM: catalogue.platformPriceId,
    },
  });
  app = createApp({ ...h.deps, temporal: env.client });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await sim.control.config({ stripeWebhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe` });
  stripe = new Stripe(sim.stripeSecretKey, { host: '127.0.0.1', port: sim.port, protocol: 'http', maxNetworkRetries: 0 });
  background = await timeSkippingBackgroundWorker(
    env,
    h.deps,
    createTerminationActivities({
      deps: h.deps,
      temporal: env.client,
      email: createEmailSender(h.config),
      terminationKey: new TerminationKey(h.deps.pgPool, h.deps.keys.master),
      billing: simulatorBilling(sim, 5_000),
    }),
  );
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await background?.stop();
  await env?.teardown();
  await h?.close();
  await sim?.stop();
});

const sql = async <T>(q: string, p: unknown[] = []) => (await h.deps.pgPool.query(q, p)).rows as T[];

async function subscribed(account: TestAccount): Promise<{ customerId: string; subscriptionId: string }> {
  const customerId = await until(
    async () =>
      (await sql<{ c: string | null }>('select stripe_customer_id as c from accounts where id = $1', [account.accountId]))[0]?.c ??
      undefined,
    'the Stripe customer',
    30_000,
  );
  const session = await request(app)
    .post('/v1/billing/checkout-sessions')
    .set(account.auth)
    .send({ successUrl: 'https://app.example/done', cancelUrl: 'https://app.example/back' });
  expect(session.status).toBe(201);
  const card = { brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2031, country: 'NL' };
  expect((await sim.control.stripeCompleteSetup({ checkoutSession: session.body.id, card })).status).toBe(200);
  const subscriptionId = await until(
    async () =>
      (await sql<{ s: string | null }>('select subscription_id as s from account_billing where account_id = $1', [account.accountId]))[0]
        ?.s ?? undefined,
    'the subscription',
    30_000,
  );
  return { customerId, subscriptionId };
}

interface RecordRow {
  id: string;
  kind: string;
  stripe_object_id: string;
  amount_due: string | null;
  status: string;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  card_country: string | null;
  row: string;
}
const recordsOf = (accountId: string) =>
  sql<RecordRow>(
    `select id, kind, stripe_object_id, amount_due::text, status, card_brand, card_last4, card_exp_month, card_exp_year, card_country,
            row_to_json(r)::text as row
       from billing_records r where account_id = $1 order by id`,
    [accountId],
  );

describe('termination and billing', () => {
  it('cancels the subscription with a final invoice for the usage to date; billing records survive the deletion, listed as kept, without card fields', async () => {
    const account = await signUp(app, 'Leaving Ltd');
    const { customerId, subscriptionId } = await subscribed(account);
    const issued = await sim.control.stripeIssueInvoice({ customer: customerId, amountDue: 2_900, outcome: 'paid' });
    // Usage to date: 100 segments on Stripe's meter, billed at 0.79 cents each by the final invoice.
    await simulatorBilling(sim).sendMeterEvents([
      { identifier: `final-${account.accountId}`, stripeCustomerId: customerId, value: 100, timestamp: new Date() },
    ]);
    const ownerEmail = (
      await sql<{ email: string }>(
        `select u.email from account_memberships m join users u on u.id = m.user_id where m.account_id = $1 and m.role = 'owner'`,
        [account.accountId],
      )
    )[0]!.email;
    const before = await recordsOf(account.accountId);
    expect(before.map((r) => [r.kind, r.status]).sort()).toEqual([
      ['invoice', 'paid'],
      ['payment_method', 'attached'],
    ]);
    expect(before.find((r) => r.kind === 'payment_method')).toMatchObject({ card_brand: 'visa', card_last4: '4242' });

    const admin = await createStaffUser(h, 'admin');
    const staff = staffBearer(await staffSignIn(app, admin));
    const terminated = await request(app)
      .post(`/staff/v1/accounts/${account.accountId}/terminate`)
      .set(staff)
      .send({ reason: 'customer closes the account', deleteEarly: true });
    expect(terminated.status, JSON.stringify(terminated.body)).toBe(201);
    const ended = await env.client.workflow.getHandle(terminationWorkflowId(account.accountId)).result();
    expect(ended).toMatchObject({ phase: 'deleted', trigger: 'confirmed' });

    // At Stripe: cancelled, with a final invoice for exactly the usage to date.
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('canceled');
    const finalInvoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(finalInvoice).toMatchObject({ customer: customerId, amount_due: 79, status: 'open' });
    expect(finalInvoice.id).not.toBe(issued.invoice);

    // Every record is still there, plus the final invoice; the card's display fields are gone; no holder PII.
    const after = await recordsOf(account.accountId);
    expect(after.map((r) => r.id)).toEqual(
      [...before.map((r) => r.id), after.find((r) => r.stripe_object_id === finalInvoice.id)!.id].sort(),
    );
    expect(after.find((r) => r.stripe_object_id === finalInvoice.id)).toMatchObject({ kind: 'invoice', amount_due: '79', status: 'open' });
    expect(after.find((r) => r.stripe_object_id === issued.invoice)).toMatchObject({ kind: 'invoice', amount_due: '2900', status: 'paid' });
    for (const r of after) {
      expect([r.card_brand, r.card_last4, r.card_exp_month, r.card_exp_year, r.card_country]).toEqual([null, null, null, null, null]);
      expect(r.row).not.toContain(ownerEmail);
      expect(r.row).not.toContain('Leaving Ltd');
    }
    const [state] = await sql<{ subscription_status: string; card_last4: string | null; payment_method_id: string | null }>(
      'select subscription_status, card_last4, payment_method_id from account_billing where account_id = $1',
      [account.accountId],
    );
    expect(state).toEqual({ subscription_status: 'canceled', card_last4: null, payment_method_id: null });

    // The certificate lists them as kept, and counts the card fields it removed.
    const [row] = await sql<{ status: string; certificate: { kept: string[]; tables: Record<string, { before: number; after: number }> } }>(
      'select status, certificate from account_terminations where account_id = $1',
      [account.accountId],
    );
    expect(row!.status).toBe('deleted');
    expect(row!.certificate.kept).toEqual(KEPT_CLASSES);
    expect(row!.certificate.kept.some((k) => k.startsWith('billing_records:') && k.includes('7 years'))).toBe(true);
    expect(row!.certificate.tables.billing_records).toEqual({ before: 1, after: 0 });
    expect(row!.certificate.tables.account_billing).toEqual({ before: 1, after: 0 });
    const audits = await sql<{ action: string }>(
      `select action from audit_log where account_id = $1 and action like 'billing.subscription%'`,
      [account.accountId],
    );
    expect(audits).toEqual([{ action: 'billing.subscription_cancelled' }]);
  });
});
