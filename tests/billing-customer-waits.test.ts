import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingActivities } from '../activities/billing';
import { billingCustomerWorkflow, STRIPE_CHECKS } from '../workflows/billing/billing-customer';
import { startTimeSkipping, timeSkippingWorker } from './support/time-skipping';

const TASK_QUEUE = 'billing-customer-waits';
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
/** Per account: how many checks answer "Stripe is not configured here" before one creates the customer. */
const unconfiguredChecks = new Map<string, number>();
const calls = new Map<string, number>();

beforeAll(async () => {
  env = await startTimeSkipping();
}, 60_000);

const activities: Pick<BillingActivities, 'stripeCustomerIfConfigured'> = {
  stripeCustomerIfConfigured: (accountId) => {
    const n = (calls.get(accountId) ?? 0) + 1;
    calls.set(accountId, n);
    return Promise.resolve(n > (unconfiguredChecks.get(accountId) ?? 0) ? `cus_${accountId}` : null);
  },
};

/** `test` with a worker for this file's queue running (a worker stops with its runUntil). */
const withWorker = async (test: () => Promise<void>) => (await timeSkippingWorker(env, TASK_QUEUE, activities)).runUntil(test);
afterAll(async () => {
  await env?.teardown();
});

async function run(accountId: string, unconfigured: number) {
  unconfiguredChecks.set(accountId, unconfigured);
  const handle = await env.client.workflow.start(billingCustomerWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: `billing-customer-waits-${accountId}`,
    args: [{ accountId }],
  });
  const outcome = await handle.result().then(
    (value) => ({ value }),
    (err: Error) => ({ error: err.cause instanceof Error ? err.cause.message : err.message }),
  );
  const events = (await handle.fetchHistory()).events ?? [];
  // The server's clock runs on past the end while the client waits: the instants are the history's.
  const at = (i: number) => Number(events.at(i)!.eventTime!.seconds) * 1000 + Math.floor((events.at(i)!.eventTime!.nanos ?? 0) / 1e6);
  const elapsedMs = at(-1) - at(0);
  const timers = events.flatMap((e) =>
    e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds)] : [],
  );
  const failedAttempts = events.filter((e) => e.activityTaskFailedEventAttributes).length;
  return { outcome, elapsedMs, timers, failedAttempts };
}

describe('the Stripe customer after sign-up, on a worker without Stripe configured', () => {
  it('waits 15 minutes between checks, with no failed attempt, and creates the customer at the first check Stripe is there', () =>
    withWorker(async () => {
      const { outcome, elapsedMs, timers, failedAttempts } = await run('acct-late-stripe', 2);
      expect(outcome).toEqual({ value: { customerId: 'cus_acct-late-stripe' } });
      expect(calls.get('acct-late-stripe')).toBe(3);
      expect(timers).toEqual([900, 900]);
      expect(failedAttempts).toBe(0);
      // Created at the third check: 30 minutes after sign-up (the instant, not only the end state).
      expect(elapsedMs).toBeGreaterThanOrEqual(30 * MINUTE);
      expect(elapsedMs).toBeLessThan(31 * MINUTE);
    }));

  it(`gives up after ${STRIPE_CHECKS} checks, 11 h 45 min after sign-up, saying why`, () =>
    withWorker(async () => {
      const { outcome, elapsedMs, timers, failedAttempts } = await run('acct-never-stripe', STRIPE_CHECKS);
      expect(outcome).toEqual({ error: `Stripe was not configured within ${STRIPE_CHECKS} checks 15 minutes apart` });
      expect(calls.get('acct-never-stripe')).toBe(STRIPE_CHECKS);
      expect(timers).toEqual(Array.from({ length: STRIPE_CHECKS - 1 }, () => 900));
      expect(failedAttempts).toBe(0);
      expect(elapsedMs).toBeGreaterThanOrEqual((STRIPE_CHECKS - 1) * 15 * MINUTE);
      expect(elapsedMs).toBeLessThan((STRIPE_CHECKS - 1) * 15 * MINUTE + MINUTE);
    }));
});
