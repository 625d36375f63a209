import { ApplicationFailure } from '@temporalio/activity';
import { withPgTransaction } from '../../db/pg-pool';
import { BillingProviderError, type BillingProvider } from '../../providers/billing/billing-provider';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { appendAuditOnConnection } from '../../services/termination/termination-audit';
import { accountContactEmail } from '../../services/termination/termination-store';
import { recordStripeCustomer, setDunning, stripeCustomerIdOf } from '../../services/billing/billing-store';
import { setSendingSuspended } from '../../services/billing/sending-suspension';
import type { ServiceDeps } from '../../services/deps';
import { dunningEmail, dunningEmailKey, type DunningEmailKind } from '../../services/email/templates/dunning';

export interface BillingActivityDeps {
  deps: Pick<ServiceDeps, 'pgPool' | 'logger'>;
  /** Null when Stripe is not configured: customer creation fails (retried) until it is. */
  billing: BillingProvider | null;
  email: EmailSender | null;
}

/** The idempotency key of an account's customer creation: the same for every attempt, so Stripe creates one. */
export const stripeCustomerIdempotencyKey = (accountId: string) => `billing-customer/${accountId}`;

const DUNNING_SUSPEND_MS = 14 * 86_400_000;

/** Billing's I/O for its workflows; every activity is idempotent and returns ids only. */
export function createBillingActivities({ deps, billing, email }: BillingActivityDeps) {
  const pool = deps.pgPool;
  const audit = (accountId: string, action: string, details: Record<string, unknown> = {}) =>
    withPgTransaction(pool, (client) =>
      appendAuditOnConnection(client, { actorType: 'system', accountId, action, targetType: 'account', targetId: accountId, details }),
    );

  async function createCustomer(accountId: string, stripe: BillingProvider): Promise<string> {
    let customerId: string;
    try {
      ({ customerId } = await stripe.createCustomer({ accountId, idempotencyKey: stripeCustomerIdempotencyKey(accountId) }));
    } catch (err) {
      if (err instanceof BillingProviderError && err.kind === 'permanent') {
        throw ApplicationFailure.nonRetryable(err.message, 'BillingPermanent');
      }
      throw err;
    }
    const recorded = await recordStripeCustomer(pool, accountId, customerId);
    if (recorded === customerId) await audit(accountId, 'billing.customer_created', { stripeCustomerId: customerId });
    return recorded;
  }

  return {
    /** Runs of before the wait for Stripe (billing-customer's patch): a missing Stripe fails, retried. */
    async ensureStripeCustomer(accountId: string): Promise<string> {
      const existing = await stripeCustomerIdOf(pool, accountId);
      if (existing) return existing;
      if (!billing) throw ApplicationFailure.retryable('Stripe is not configured (STRIPE_SECRET_KEY)', 'BillingNotConfigured');
      return createCustomer(accountId, billing);
    },

    /**
     * The account's Stripe customer, created once; null while this worker has no Stripe configured
     * (the workflow waits and asks again: a deployment without billing yet logs no failure per sign-up).
     */
    async stripeCustomerIfConfigured(accountId: string): Promise<string | null> {
      const existing = await stripeCustomerIdOf(pool, accountId);
      if (existing) return existing;
      return billing ? createCustomer(accountId, billing) : null;
    },

    async recordDunning(accountId: string, invoiceId: string, startedAtMs: number): Promise<void> {
      await setDunning(pool, accountId, { invoiceId, startedAt: new Date(startedAtMs) });
      await audit(accountId, 'billing.dunning_started', { invoiceId });
    },

    async clearDunning(accountId: string): Promise<void> {
      await setDunning(pool, accountId, null);
      await audit(accountId, 'billing.dunning_resolved');
    },

    async suspendSending(accountId: string, suspended: boolean): Promise<void> {
      await setSendingSuspended(pool, accountId, suspended ? new Date() : null);
      await audit(accountId, suspended ? 'billing.sending_suspended' : 'billing.sending_restored');
    },

    async sendDunningEmail(accountId: string, kind: DunningEmailKind, startedAtMs: number, atMs: number): Promise<boolean> {
      const to = await accountContactEmail(pool, accountId);
      if (!to || !email) {
        deps.logger.warn({ accountId, email: `dunning.${kind}` }, 'no email provider or no account contact: dunning email owed');
        return false;
      }
      const content = dunningEmail(kind, accountId, new Date(startedAtMs + DUNNING_SUSPEND_MS));
      try {
        await email.send({ to: [to], ...content, idempotencyKey: dunningEmailKey(accountId, kind, startedAtMs, atMs) });
        return true;
      } catch (err) {
        if (err instanceof EmailSendError && !err.retryable) {
          await audit(accountId, 'account.email_refused', { email: `dunning.${kind}`, code: err.code });
          return false;
        }
        throw err;
      }
    },
  };
}

export type BillingActivities = ReturnType<typeof createBillingActivities>;
