import { z } from 'zod';
import { label } from './common';
import { SpendCapSchema } from './usage';

/** The card as the Privacy Policy says we keep it: display fields only. */
export const PaymentMethodDisplay = z.object({
  brand: z.string(),
  last4: z.string(),
  expMonth: z.number().int(),
  expYear: z.number().int(),
  country: z.string().nullable(),
});

export const BillingRecordSchema = z.object({
  id: z.uuid(),
  kind: z.enum(['invoice', 'payment_method', 'credit']),
  status: z.string(),
  occurredAt: z.string(),
  invoice: z
    .object({
      number: z.string().nullable(),
      periodStart: z.string().nullable(),
      periodEnd: z.string().nullable(),
      amountDue: z.number().int().nullable(),
      amountPaid: z.number().int().nullable(),
      currency: z.string().nullable(),
      hostedInvoiceUrl: z.string().nullable(),
    })
    .nullable(),
  paymentMethod: PaymentMethodDisplay.nullable(),
  /** A staff credit: its amount (minor units, positive) and currency. */
  credit: z.object({ amount: z.number().int(), currency: z.string().nullable() }).nullable(),
  reason: z.string().nullable(),
});

export const DunningSchema = z.object({
  invoiceId: z.string(),
  startedAt: z.string(),
  /** Sending is suspended at this instant unless the invoice is paid first. */
  suspendsAt: z.string(),
});

export const BillingSchema = z.object({
  stripeCustomerId: z.string().nullable(),
  paymentMethod: PaymentMethodDisplay.nullable(),
  subscription: z.object({ id: z.string(), status: z.string() }).nullable(),
  dunning: DunningSchema.nullable(),
  sendingSuspended: z.boolean(),
  sendingSuspendedAt: z.string().nullable(),
  records: z.array(BillingRecordSchema),
});

const returnUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe('Where Checkout sends the customer back to');

export const CheckoutSessionBody = z.object({ successUrl: returnUrl, cancelUrl: returnUrl }).strict();

export const CheckoutSessionSchema = z.object({
  id: z.string(),
  /** Open it in the customer's browser: the card is entered on Stripe's page, never sent to us. */
  url: z.string(),
});

export const StaffCreditBody = z
  .object({
    /** In the currency's minor unit (cents). */
    amount: z.number().int().min(1).max(10_000_000),
    currency: z.string().regex(/^[a-z]{3}$/),
    reason: label(500, 3),
  })
  .strict();

/** GET /v1/billing: the billing state and this month's spend against the cap (what PATCH answers). */
export const AccountBillingSchema = BillingSchema.extend({
  spendCap: SpendCapSchema.describe("This month's segments and spend against the cap (computed from our prices)"),
});

export const StaffBillingSchema = BillingSchema.extend({ accountId: z.uuid(), accountStatus: z.string() });

/** What support sees: the billing state and this month's usage (segments, spend, cap). */
export const StaffBillingViewSchema = StaffBillingSchema.extend({
  usage: SpendCapSchema.describe("This month's segments and spend against the cap (computed from our prices)"),
});
