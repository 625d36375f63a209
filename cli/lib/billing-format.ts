import type { z } from 'zod';
import type { StaffBillingViewSchema } from '../../api/schemas/billing';

export type StaffBillingView = z.infer<typeof StaffBillingViewSchema>;

const n = (x: number) => x.toLocaleString('en-US');

/** An account's billing state and this month's usage, a line each: what support reads on a call. */
export function billingSummary(b: StaffBillingView): string {
  const card = b.paymentMethod
    ? `${b.paymentMethod.brand} •••• ${b.paymentMethod.last4}, expires ${String(b.paymentMethod.expMonth).padStart(2, '0')}/${b.paymentMethod.expYear}`
    : 'none';
  const currency = b.usage.currency.toUpperCase();
  const cap = b.usage.monthlyCap === null ? 'no cap' : `cap ${b.usage.monthlyCap} ${currency} (${b.usage.percentOfCap}%)`;
  const dunning = b.dunning
    ? `since ${b.dunning.startedAt} for invoice ${b.dunning.invoiceId}, suspends at ${b.dunning.suspendsAt}`
    : 'none';
  const invoices = b.records.filter((r) => r.kind === 'invoice');
  const open = invoices.filter((r) => r.status === 'open').length;
  return [
    `account ${b.accountId} (${b.accountStatus}), Stripe customer ${b.stripeCustomerId ?? 'not created yet'}`,
    `card: ${card}; subscription: ${b.subscription ? `${b.subscription.id} ${b.subscription.status}` : 'none'}`,
    `usage since ${b.usage.periodStart}: ${n(b.usage.periodSegments)} segments, ${b.usage.periodSpend} ${currency}; ${cap}`,
    `dunning: ${dunning}; sending ${b.sendingSuspended ? `suspended since ${b.sendingSuspendedAt}` : 'allowed'}`,
    `records: ${invoices.length} invoices (${open} open), ${b.records.filter((r) => r.kind === 'credit').length} credits, ${b.records.filter((r) => r.kind === 'payment_method').length} card changes`,
  ].join('\n');
}
