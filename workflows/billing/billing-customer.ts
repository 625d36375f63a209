import { proxyActivities } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing';

/** One per account (`billing-customer:<accountId>`), started by sign-up once the account is committed. */
export const billingCustomerWorkflowId = (accountId: string) => `billing-customer:${accountId}`;

const { ensureStripeCustomer } = proxyActivities<BillingActivities>({
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
  return { customerId: await ensureStripeCustomer(input.accountId) };
}
