import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { dunningEmail } from '../services/email/templates/dunning';
import { DUNNING_REMINDER_AFTER, DUNNING_SUSPEND_AFTER, dunningStateQuery, dunningWorkflowId } from '../workflows/billing/dunning';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { until } from './support/http-receiver';
import { customerOf as customerOfAccount } from './support/usage';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { startTimeSkipping, timeSkippingBackgroundWorker } from './support/time-skipping';

/**
 * Dunning at its real constants on the time-skipping server: Stripe's signed `invoice.payment_failed`
 * (posted by the simulator to the product's webhook) starts `dunning:<accountId>`; each step is
 * asserted at its instant (a minute before it has not happened, a minute after it has).
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const SUBJECT = {
  paymentFailed: dunningEmail('payment_failed', '', new Date()).subject,
  reminder: dunningEmail('reminder', '', new Date()).subject,
  suspended: dunningEmail('suspended', '', new Date()).subject,
  resolved: dunningEmail('resolved', '', new Date()).subject,
};

let sim: SimulatorProcess;
let env: TestWorkflowEnvironment;
let h: Harness;
let app: Express;
let server: Server;
let billingWorker: { stop(): Promise<void> };

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 1607 });
  env = await startTimeSkipping();
  h = await startHarness({ env: sim.env() });
  // The API on the time-skipping server: sign-up and the Stripe webhook start their processes there.
  app = createApp({ ...h.deps, temporal: env.client });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await sim.control.config({ stripeWebhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe` });
  billingWorker = await timeSkippingBackgroundWorker(env, h.deps);
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await billingWorker?.stop();
  await env?.teardown();
  await h?.close();
  await sim?.stop();
});

/** Moves the server's clock to `at` (epoch ms on its clock); timers due by then fire. */
async function advanceTo(at: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (at > now) await env.sleep(at - now);
}

const customerOf = (accountId: string) => customerOfAccount(h.deps.pgPool, accountId);

/** The dunning emails the simulator's Resend received about the account, in order: subjects only. */
async function dunningSubjects(accountId: string): Promise<string[]> {
  const subjects = new Set(Object.values(SUBJECT));
  return (await sim.control.emails())
    .filter((e) => subjects.has(e.subject) && (e.text ?? '').includes(accountId))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((e) => e.subject);
}

const untilSubjects = (accountId: string, expected: string[]) =>
  until(
    async () => {
      const subjects = await dunningSubjects(accountId);
      return subjects.length >= expected.length ? subjects : undefined;
    },
    `${expected.length} dunning emails`,
    30_000,
  );

const billingOf = async (account: TestAccount) => {
  const res = await request(app).get('/v1/billing').set(account.auth);
  expect(res.status).toBe(200);
  return res.body as { dunning: { invoiceId: string; startedAt: string; suspendsAt: string } | null; sendingSuspended: boolean };
};

/** A new account whose first invoice's payment failed: the dunning process, and its start on the server's clock. */
async function failedPayment() {
  const account = await signUp(app, 'Dunned');
  const customer = await customerOf(account.accountId);
  const issued = await sim.control.stripeIssueInvoice({ customer, amountDue: 4_200, outcome: 'payment_failed' });
  expect(issued.events.map((e) => e.status)).toEqual([200, 200]);
  const handle = env.client.workflow.getHandle(dunningWorkflowId(account.accountId));
  const started = await handle.query(dunningStateQuery);
  return { account, invoice: issued.invoice, handle, t0: Date.parse(started.startedAt) };
}

describe('dunning at the real 3 / 7 / 14 days', () => {
  it('emails at once, reminds at 3 d and 7 d, suspends sending at 14 d; visible in GET /v1/billing and the operators query', async () => {
    expect([DUNNING_REMINDER_AFTER, DUNNING_SUSPEND_AFTER]).toEqual([['3 days', '7 days'], '14 days']);
    const { account, invoice, handle, t0 } = await failedPayment();
    const id = account.accountId;
    expect(await untilSubjects(id, [SUBJECT.paymentFailed])).toEqual([SUBJECT.paymentFailed]);
    expect(await billingOf(account)).toMatchObject({
      dunning: { invoiceId: invoice, startedAt: new Date(t0).toISOString(), suspendsAt: new Date(t0 + 14 * DAY).toISOString() },
      sendingSuspended: false,
    });
    expect(await handle.query(dunningStateQuery)).toMatchObject({ phase: 'dunning', openInvoiceIds: [invoice], remindersSent: 0 });

    for (const [n, day] of [3, 7].entries()) {
      await advanceTo(t0 + day * DAY - MINUTE);
      expect(await dunningSubjects(id)).toHaveLength(1 + n);
      expect((await handle.query(dunningStateQuery)).remindersSent).toBe(n);
      await advanceTo(t0 + day * DAY + MINUTE);
      expect((await untilSubjects(id, Array(2 + n).fill('')))[1 + n]).toBe(SUBJECT.reminder);
      expect((await handle.query(dunningStateQuery)).remindersSent).toBe(n + 1);
    }

    await advanceTo(t0 + 14 * DAY - MINUTE);
    expect(await billingOf(account)).toMatchObject({ sendingSuspended: false });
    expect((await handle.query(dunningStateQuery)).phase).toBe('dunning');
    await advanceTo(t0 + 14 * DAY + MINUTE);
    await until(async () => ((await billingOf(account)).sendingSuspended ? true : undefined), 'the suspension', 30_000);
    const state = await handle.query(dunningStateQuery);
    expect(state.phase).toBe('suspended');
    expect(Date.parse(state.suspendedAt!)).toBeGreaterThanOrEqual(t0 + 14 * DAY);
    expect(Date.parse(state.suspendedAt!)).toBeLessThanOrEqual(t0 + 14 * DAY + MINUTE);
    expect(await untilSubjects(id, Array(4).fill(''))).toEqual([
      SUBJECT.paymentFailed,
      SUBJECT.reminder,
      SUBJECT.reminder,
      SUBJECT.suspended,
    ]);
  });

  it('invoice.paid before 14 d ends it: no suspension, ever', async () => {
    const { account, invoice, handle, t0 } = await failedPayment();
    await advanceTo(t0 + 5 * DAY);
    await untilSubjects(account.accountId, [SUBJECT.paymentFailed, SUBJECT.reminder]);
    const paid = await sim.control.stripePayInvoice(invoice);
    expect(paid.status).toBe(200);
    const ended = await handle.result();
    expect(ended).toMatchObject({ phase: 'resolved', remindersSent: 1, suspendedAt: null, openInvoiceIds: [] });
    expect(await billingOf(account)).toMatchObject({ dunning: null, sendingSuspended: false });
    await advanceTo(t0 + 15 * DAY);
    expect(await billingOf(account)).toMatchObject({ dunning: null, sendingSuspended: false });
    expect(await dunningSubjects(account.accountId)).toEqual([SUBJECT.paymentFailed, SUBJECT.reminder, SUBJECT.resolved]);
  });

  it('invoice.paid after the suspension lifts it at once', async () => {
    const { account, invoice, handle, t0 } = await failedPayment();
    await advanceTo(t0 + 14 * DAY + MINUTE);
    await until(async () => ((await billingOf(account)).sendingSuspended ? true : undefined), 'the suspension', 30_000);
    const paidAt = await env.currentTimeMs();
    expect((await sim.control.stripePayInvoice(invoice)).status).toBe(200);
    await until(async () => ((await billingOf(account)).sendingSuspended ? undefined : true), 'the suspension lifted', 30_000);
    const ended = await handle.result();
    expect(ended.phase).toBe('resolved');
    // At once: on the server's clock no timer stood between the payment and the lifting.
    expect(Date.parse(ended.resolvedAt) - paidAt).toBeLessThan(MINUTE);
    expect(await billingOf(account)).toMatchObject({ dunning: null, sendingSuspended: false });
    expect((await dunningSubjects(account.accountId)).at(-1)).toBe(SUBJECT.resolved);
  });
});
