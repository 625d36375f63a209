import { ApplicationFailure, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing';

/** One per account (`billing-customer:<accountId>`), started by sign-up once the account is committed. */
export const billingCustomerWorkflowId = (accountId: string) => `billing-customer:${accountId}`;

/** Runs from this patch on wait for Stripe with a timer instead of failing the activity until it is configured. */
export const WAIT_FOR_STRIPE_PATCH = 'billing-customer-waits-for-stripe';
/** How often a run asks again while the worker that took it has no Stripe configured. */
export const STRIPE_RECHECK = '15 minutes';
/** Checks before giving up: 12 hours, the bound the activity's retries had (Stripe's idempotency keys last 24). */
export const STRIPE_CHECKS = 48;

const { ensureStripeCustomer, stripeCustomerIfConfigured } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '1 minute',
  // Stripe's idempotency keys last 24 hours: retries stay well inside that, so a retry never creates a second customer.
  scheduleToCloseTimeout: '12 hours',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: ['BillingPermanent'],
  },
});

/** Creates the account's Stripe customer (once: the activity's idempotency key is derived from the account id). */
export async function billingCustomerWorkflow(input: { accountId: string }): Promise<{ customerId: string }> {
  if (!patched(WAIT_FOR_STRIPE_PATCH)) return { customerId: await ensureStripeCustomer(input.accountId) };
  for (let check = 1; ; check++) {
    const customerId = await stripeCustomerIfConfigured(input.accountId);
    if (customerId) return { customerId };
    if (check >= STRIPE_CHECKS)
      throw ApplicationFailure.nonRetryable(
        `Stripe was not configured within ${STRIPE_CHECKS} checks ${STRIPE_RECHECK} apart`,
        'BillingNotConfigured',
      );
    await sleep(STRIPE_RECHECK);
  }
}
