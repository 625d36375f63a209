import type { AccountBillingRow, BillingRecordRow } from './billing-store';

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const DUNNING_SUSPEND_MS = 14 * 86_400_000;

export function paymentMethodDisplay(row: AccountBillingRow | null) {
  if (!row?.payment_method_id || row.card_brand === null || row.card_last4 === null) return null;
  return {
    brand: row.card_brand,
    last4: row.card_last4,
    expMonth: row.card_exp_month ?? 0,
    expYear: row.card_exp_year ?? 0,
    country: row.card_country,
  };
}

function recordView(record: BillingRecordRow) {
  const hasCard = record.card_last4 !== null && record.card_brand !== null;
  return {
    id: record.id,
    kind: record.kind,
    status: record.status,
    occurredAt: record.occurred_at.toISOString(),
    invoice:
      record.kind === 'invoice'
        ? {
            number: record.invoice_number,
            periodStart: iso(record.period_start),
            periodEnd: iso(record.period_end),
            amountDue: record.amount_due === null ? null : Number(record.amount_due),
            amountPaid: record.amount_paid === null ? null : Number(record.amount_paid),
            currency: record.currency,
            hostedInvoiceUrl: record.hosted_invoice_url,
          }
        : null,
    paymentMethod: hasCard
      ? {
          brand: record.card_brand!,
          last4: record.card_last4!,
          expMonth: record.card_exp_month ?? 0,
          expYear: record.card_exp_year ?? 0,
          country: record.card_country,
        }
      : null,
    credit:
      record.kind === 'credit' && record.amount_due !== null ? { amount: -Number(record.amount_due), currency: record.currency } : null,
    reason: record.reason,
  };
}

/**
 * GET /v1/billing's body, built in one place (the usage/spend-cap work extends this view). Card
 * display fields only.
 */
export function toBillingView(stripeCustomerId: string | null, row: AccountBillingRow | null, records: BillingRecordRow[]) {
  return {
    stripeCustomerId,
    paymentMethod: paymentMethodDisplay(row),
    subscription: row?.subscription_id ? { id: row.subscription_id, status: row.subscription_status ?? 'unknown' } : null,
    dunning:
      row?.dunning_invoice_id && row.dunning_started_at
        ? {
            invoiceId: row.dunning_invoice_id,
            startedAt: row.dunning_started_at.toISOString(),
            suspendsAt: new Date(row.dunning_started_at.getTime() + DUNNING_SUSPEND_MS).toISOString(),
          }
        : null,
    sendingSuspended: row?.sending_suspended_at != null,
    sendingSuspendedAt: iso(row?.sending_suspended_at ?? null),
    records: records.map(recordView),
  };
}

export type BillingView = ReturnType<typeof toBillingView>;
