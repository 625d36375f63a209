/**
 * The one interface the product bills through (providers/billing/<vendor>/). Only the adapter knows
 * the vendor's SDK; everything here is in our terms, and no card data beyond the display fields
 * (brand, last 4, expiry, country) ever crosses it.
 */

/**
 * retryable: the vendor answered that it did not do it (connection refused, 429, 5xx): the same call
 *   with the same idempotency key / identifier is safe.
 * permanent: the request itself was refused (invalid, unauthorised, idempotency mismatch): retrying changes nothing.
 * ambiguous: the request may have been applied (timeout or reset after it was written): reconcile,
 *   or retry only with the same idempotency key / identifier.
 */
export type BillingErrorKind = 'retryable' | 'permanent' | 'ambiguous';

/** A failed vendor call. `code` is the vendor's stable error name or a socket code, never vendor prose. */
export class BillingProviderError extends Error {
  constructor(
    readonly kind: BillingErrorKind,
    readonly code: string,
    readonly statusCode: number | null,
  ) {
    super(`billing provider ${kind} error: ${code}${statusCode === null ? '' : ` (${statusCode})`}`);
    this.name = 'BillingProviderError';
  }
}

/** What we keep of a card: the display fields the Privacy Policy names, nothing else. */
export interface CardDisplay {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  country: string | null;
}

export interface PaymentMethodView {
  id: string;
  customerId: string | null;
  card: CardDisplay | null;
  /** Unix seconds. */
  created: number;
}

export interface CreateCustomerRequest {
  accountId: string;
  /** Derived from the account id, so a retried creation returns the first customer. */
  idempotencyKey: string;
}

export interface CheckoutSessionRequest {
  customerId: string;
  accountId: string;
  currency: string;
  successUrl: string;
  cancelUrl: string;
  idempotencyKey: string;
}

export interface CheckoutSessionView {
  id: string;
  url: string;
  customerId: string | null;
  setupIntentId: string | null;
  status: string;
}

/** One Billing Meter event (event_name `sms_segments`). `identifier` is Stripe's dedupe key (≥ 24 h). */
export interface MeterEvent {
  identifier: string;
  stripeCustomerId: string;
  /** Segments, a positive integer. */
  value: number;
  /** When the usage happened (the carrier's acceptance), not when it is reported. */
  timestamp: Date;
}

/** Per event: accepted (counted, or already counted under that identifier) or the classified failure. */
export type MeterEventResult =
  { identifier: string; accepted: true } | { identifier: string; accepted: false; error: BillingProviderError };

export interface MeterEventSummary {
  /** Summed value over [startTime, endTime). */
  aggregatedValue: number;
  startTime: Date;
  endTime: Date;
}

export interface SubscriptionRequest {
  customerId: string;
  accountId: string;
  priceIds: string[];
  defaultPaymentMethodId: string | null;
  idempotencyKey: string;
}

export interface SubscriptionView {
  id: string;
  customerId: string;
  status: string;
  /** Unix seconds. */
  created: number;
  /** The newest invoice (after a cancel with a final invoice: that invoice). */
  latestInvoiceId: string | null;
}

export interface InvoiceView {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  number: string | null;
  status: string;
  currency: string;
  amountDue: number;
  amountPaid: number;
  total: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  hostedInvoiceUrl: string | null;
  /** Unix seconds. */
  created: number;
}

/** A verified vendor event: its id, type, creation time and the object as the vendor sent it. */
export interface BillingEvent {
  id: string;
  type: string;
  /** Unix seconds (ordering of deliveries). */
  created: number;
  object: Record<string, unknown>;
}

export class BillingWebhookRejected extends Error {
  constructor(readonly reason: 'signature' | 'stale' | 'malformed') {
    super(`billing webhook rejected: ${reason}`);
    this.name = 'BillingWebhookRejected';
  }
}

export interface CatalogueSpec {
  currency: string;
  /** Per segment, in the currency's minor unit; a decimal string (fractions of a cent are allowed). */
  segmentUnitAmountDecimal: string;
  /** Per month, in the currency's minor unit. */
  platformMonthlyAmount: number;
}

export interface CatalogueIds {
  meterId: string;
  segmentPriceId: string;
  platformPriceId: string;
}

export interface BillingProvider {
  createCustomer(request: CreateCustomerRequest): Promise<{ customerId: string }>;
  createCheckoutSession(request: CheckoutSessionRequest): Promise<CheckoutSessionView>;
  retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionView>;
  /** The setup intent's payment method, or null while it has none. */
  setupIntentPaymentMethod(setupIntentId: string): Promise<string | null>;
  retrievePaymentMethod(paymentMethodId: string): Promise<PaymentMethodView>;
  setDefaultPaymentMethod(customerId: string, paymentMethodId: string): Promise<void>;
  createSubscription(request: SubscriptionRequest): Promise<SubscriptionView>;
  retrieveSubscription(subscriptionId: string): Promise<SubscriptionView>;
  /**
   * Cancels now and invoices the usage to date (a final invoice). Once: an already cancelled
   * subscription is answered as it is (the key is sent too, though Stripe treats a DELETE as
   * idempotent by itself and ignores keys on it).
   */
  cancelSubscriptionWithFinalInvoice(subscriptionId: string, options: { idempotencyKey: string }): Promise<SubscriptionView>;
  retrieveInvoice(invoiceId: string): Promise<InvoiceView>;
  /** Sends each event once per identifier; never throws for a vendor outcome (each result is classified). */
  sendMeterEvents(events: readonly MeterEvent[]): Promise<MeterEventResult[]>;
  /** Stripe's own total for one customer over [startTime, endTime) (minute-aligned). */
  meterEventSummaries(meterId: string, stripeCustomerId: string, startTime: Date, endTime: Date): Promise<MeterEventSummary[]>;
  /**
   * Creates what is missing of the catalogue (found by lookup key, so running it twice creates
   * nothing): the `sms_segments` meter, the metered per-segment price and the monthly platform price.
   */
  ensureCatalogue(catalogue: CatalogueSpec): Promise<CatalogueIds>;
  /** Verifies the signature (300 s tolerance) on the raw bytes; throws BillingWebhookRejected. */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): BillingEvent;
}

/** The Billing Meter's event name, one per message segment. */
export const SEGMENTS_METER_EVENT_NAME = 'sms_segments';
