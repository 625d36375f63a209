import type { Pool } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import { BillingProviderError, type BillingProvider } from '../../providers/billing/billing-provider';
import { appendAuditOnConnection } from '../termination/termination-audit';
import { lockAccountBilling, readAccountBilling, recordInvoice, setSubscription } from './billing-store';

/** Stripe's key for an account's final cancel: one per account, whatever retries. */
export const subscriptionCancelIdempotencyKey = (accountId: string) => `termination-cancel/${accountId}`;

export type BillingClosure =
  | { outcome: 'no_subscription' }
  | { outcome: 'cancelled'; subscriptionId: string; finalInvoiceId: string | null }
  /** Stripe refused for good (the subscription is gone there): audited, nothing left to do. */
  | { outcome: 'refused'; subscriptionId: string; code: string };

/**
 * A terminated account's subscription is cancelled with a final invoice for the usage to date, and
 * that invoice is kept as a billing record (7 years, through the deletion). Idempotent: a retry
 * finds the subscription cancelled at Stripe and records the same invoice once.
 */
export async function closeAccountBilling(deps: { pgPool: Pool; provider: BillingProvider }, accountId: string): Promise<BillingClosure> {
  const row = await readAccountBilling(deps.pgPool, accountId);
  if (!row?.subscription_id) return { outcome: 'no_subscription' };
  const subscriptionId = row.subscription_id;
  let cancelled;
  try {
    cancelled = await deps.provider.cancelSubscriptionWithFinalInvoice(subscriptionId, {
      idempotencyKey: subscriptionCancelIdempotencyKey(accountId),
    });
  } catch (err) {
    if (!(err instanceof BillingProviderError) || err.kind !== 'permanent') throw err;
    await withPgTransaction(deps.pgPool, (client) =>
      appendAuditOnConnection(client, {
        actorType: 'system',
        accountId,
        action: 'billing.subscription_cancel_refused',
        targetType: 'account',
        targetId: accountId,
        details: { subscriptionId, code: err.code },
      }),
    );
    return { outcome: 'refused', subscriptionId, code: err.code };
  }
  const invoice = cancelled.latestInvoiceId ? await deps.provider.retrieveInvoice(cancelled.latestInvoiceId) : null;
  await withPgTransaction(deps.pgPool, async (client) => {
    const before = await lockAccountBilling(client, accountId);
    await setSubscription(client, accountId, cancelled, new Date());
    if (invoice) await recordInvoice(client, accountId, invoice, new Date(invoice.created * 1000));
    // A retry after this committed finds the subscription cancelled here already: audited once.
    if (before.subscription_status === 'canceled') return;
    await appendAuditOnConnection(client, {
      actorType: 'system',
      accountId,
      action: 'billing.subscription_cancelled',
      targetType: 'account',
      targetId: accountId,
      details: { subscriptionId, finalInvoiceId: invoice?.id ?? null },
    });
  });
  return { outcome: 'cancelled', subscriptionId, finalInvoiceId: invoice?.id ?? null };
}
