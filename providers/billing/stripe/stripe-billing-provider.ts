import type Stripe from 'stripe';
import {
  BillingWebhookRejected,
  SEGMENTS_METER_EVENT_NAME,
  type BillingEvent,
  type BillingProvider,
  type CatalogueIds,
  type CatalogueSpec,
  type CheckoutSessionRequest,
  type CheckoutSessionView,
  type CreateCustomerRequest,
  type InvoiceView,
  type MeterEvent,
  type MeterEventResult,
  type MeterEventSummary,
  type PaymentMethodView,
  type SubscriptionRequest,
  type SubscriptionView,
} from '../billing-provider';
import { classifyStripeError } from './classify-stripe-error';
import { createStripeClient, type StripeBillingConfig } from './client';
import { StripeMeterEventStream } from './meter-event-stream';

/** Stripe's default and the issue's: an event signed more than 5 minutes ago is refused. */
export const STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

export const SEGMENT_PRICE_LOOKUP_KEY = 'massivesms_sms_segment';
export const PLATFORM_PRICE_LOOKUP_KEY = 'massivesms_platform_monthly';

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;
const toSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Every call goes through here: the SDK's throw becomes a classified BillingProviderError. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw classifyStripeError(err);
  }
}

function sessionView(session: Stripe.Checkout.Session): CheckoutSessionView {
  return {
    id: session.id,
    url: session.url ?? '',
    customerId: idOf(session.customer),
    setupIntentId: idOf(session.setup_intent),
    status: session.status ?? 'open',
  };
}

function subscriptionView(subscription: Stripe.Subscription): SubscriptionView {
  return {
    id: subscription.id,
    customerId: idOf(subscription.customer) ?? '',
    status: subscription.status,
    created: subscription.created,
    latestInvoiceId: idOf(subscription.latest_invoice ?? null),
  };
}

export function toInvoiceView(invoice: Stripe.Invoice): InvoiceView {
  const fromSeconds = (s: number | null | undefined) => (typeof s === 'number' ? new Date(s * 1000) : null);
  return {
    id: invoice.id ?? '',
    customerId: idOf(invoice.customer) ?? '',
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription ?? null),
    number: invoice.number,
    status: invoice.status ?? 'draft',
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    total: invoice.total,
    periodStart: fromSeconds(invoice.period_start),
    periodEnd: fromSeconds(invoice.period_end),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    created: invoice.created,
  };
}

export function toPaymentMethodView(method: Stripe.PaymentMethod): PaymentMethodView {
  const card = method.card;
  return {
    id: method.id,
    customerId: idOf(method.customer),
    // Only the display fields: fingerprint, funding, checks, wallet and billing details are dropped here.
    card: card
      ? { brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year, country: card.country ?? null }
      : null,
    created: method.created,
  };
}

/** Stripe through its official SDK: the only module that imports it (with client.ts, the meter event stream and the classifier). */
export class StripeBillingProvider implements BillingProvider {
  private readonly stripe: Stripe;
  private readonly meterStream: StripeMeterEventStream;

  constructor(private readonly config: StripeBillingConfig) {
    this.stripe = createStripeClient(config);
    this.meterStream = new StripeMeterEventStream(this.stripe);
  }

  async createCustomer(request: CreateCustomerRequest): Promise<{ customerId: string }> {
    // The account id is the only thing Stripe learns about the account here: no name, no email.
    const customer = await call(() =>
      this.stripe.customers.create({ metadata: { account_id: request.accountId } }, { idempotencyKey: request.idempotencyKey }),
    );
    return { customerId: customer.id };
  }

  async createCheckoutSession(request: CheckoutSessionRequest): Promise<CheckoutSessionView> {
    const session = await call(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'setup',
          customer: request.customerId,
          currency: request.currency,
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          metadata: { account_id: request.accountId },
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    return sessionView(session);
  }

  async retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionView> {
    return sessionView(await call(() => this.stripe.checkout.sessions.retrieve(sessionId)));
  }

  async setupIntentPaymentMethod(setupIntentId: string): Promise<string | null> {
    const intent = await call(() => this.stripe.setupIntents.retrieve(setupIntentId));
    return intent.status === 'succeeded' ? idOf(intent.payment_method) : null;
  }

  async retrievePaymentMethod(paymentMethodId: string): Promise<PaymentMethodView> {
    return toPaymentMethodView(await call(() => this.stripe.paymentMethods.retrieve(paymentMethodId)));
  }

  async setDefaultPaymentMethod(customerId: string, paymentMethodId: string): Promise<void> {
    await call(() => this.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } }));
  }

  async createSubscription(request: SubscriptionRequest): Promise<SubscriptionView> {
    const subscription = await call(() =>
      this.stripe.subscriptions.create(
        {
          customer: request.customerId,
          items: request.priceIds.map((price) => ({ price })),
          ...(request.defaultPaymentMethodId ? { default_payment_method: request.defaultPaymentMethodId } : {}),
          metadata: { account_id: request.accountId },
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    return subscriptionView(subscription);
  }

  async retrieveSubscription(subscriptionId: string): Promise<SubscriptionView> {
    return subscriptionView(await call(() => this.stripe.subscriptions.retrieve(subscriptionId)));
  }

  async cancelSubscriptionWithFinalInvoice(subscriptionId: string, options: { idempotencyKey: string }): Promise<SubscriptionView> {
    const current = await call(() => this.stripe.subscriptions.retrieve(subscriptionId));
    if (current.status === 'canceled') return subscriptionView(current);
    return subscriptionView(
      await call(() =>
        this.stripe.subscriptions.cancel(subscriptionId, { invoice_now: true, prorate: true }, { idempotencyKey: options.idempotencyKey }),
      ),
    );
  }

  async retrieveInvoice(invoiceId: string): Promise<InvoiceView> {
    return toInvoiceView(await call(() => this.stripe.invoices.retrieve(invoiceId)));
  }

  sendMeterEvents(events: readonly MeterEvent[]): Promise<MeterEventResult[]> {
    return this.meterStream.send(events);
  }

  async meterEventSummaries(meterId: string, stripeCustomerId: string, startTime: Date, endTime: Date): Promise<MeterEventSummary[]> {
    const summaries: MeterEventSummary[] = [];
    await call(async () => {
      for await (const summary of this.stripe.billing.meters.listEventSummaries(meterId, {
        customer: stripeCustomerId,
        start_time: toSeconds(startTime),
        end_time: toSeconds(endTime),
        limit: 100,
      })) {
        summaries.push({
          aggregatedValue: summary.aggregated_value,
          startTime: new Date(summary.start_time * 1000),
          endTime: new Date(summary.end_time * 1000),
        });
      }
    });
    return summaries;
  }

  async ensureCatalogue(spec: CatalogueSpec): Promise<CatalogueIds> {
    const meter = await this.findOrCreateMeter();
    const prices = await call(() =>
      this.stripe.prices.list({ lookup_keys: [SEGMENT_PRICE_LOOKUP_KEY, PLATFORM_PRICE_LOOKUP_KEY], active: true, limit: 10 }),
    );
    const byKey = new Map(prices.data.map((price) => [price.lookup_key, price.id]));
    const segmentPriceId =
      byKey.get(SEGMENT_PRICE_LOOKUP_KEY) ??
      (
        await call(() =>
          this.stripe.prices.create(
            {
              currency: spec.currency,
              unit_amount_decimal: this.stripe.Decimal.from(spec.segmentUnitAmountDecimal),
              recurring: { interval: 'month', usage_type: 'metered', meter: meter },
              product_data: { name: 'SMS segments' },
              lookup_key: SEGMENT_PRICE_LOOKUP_KEY,
              billing_scheme: 'per_unit',
            },
            { idempotencyKey: `catalogue/${SEGMENT_PRICE_LOOKUP_KEY}/${meter}` },
          ),
        )
      ).id;
    const platformPriceId =
      byKey.get(PLATFORM_PRICE_LOOKUP_KEY) ??
      (
        await call(() =>
          this.stripe.prices.create(
            {
              currency: spec.currency,
              unit_amount: spec.platformMonthlyAmount,
              recurring: { interval: 'month', usage_type: 'licensed' },
              product_data: { name: 'MassiveSMS platform' },
              lookup_key: PLATFORM_PRICE_LOOKUP_KEY,
            },
            { idempotencyKey: `catalogue/${PLATFORM_PRICE_LOOKUP_KEY}` },
          ),
        )
      ).id;
    return { meterId: meter, segmentPriceId, platformPriceId };
  }

  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): BillingEvent {
    if (!signatureHeader) throw new BillingWebhookRejected('signature');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.config.webhookSecret, STRIPE_WEBHOOK_TOLERANCE_SECONDS);
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      if (/tolerance/i.test(message)) throw new BillingWebhookRejected('stale');
      if (err instanceof SyntaxError) throw new BillingWebhookRejected('malformed');
      throw new BillingWebhookRejected('signature');
    }
    // A signed body is still only JSON: `null`, a number or an array verify as well as an event does.
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new BillingWebhookRejected('malformed');
    const object = (event.data as { object?: unknown } | undefined)?.object;
    if (
      typeof event.id !== 'string' ||
      typeof event.type !== 'string' ||
      typeof event.created !== 'number' ||
      typeof object !== 'object' ||
      object === null
    ) {
      throw new BillingWebhookRejected('malformed');
    }
    return { id: event.id, type: event.type, created: event.created, object: object as Record<string, unknown> };
  }

  private async findOrCreateMeter(): Promise<string> {
    // Meters have no lookup key: the event name is unique among active meters, so it is the key.
    for await (const meter of this.stripe.billing.meters.list({ status: 'active', limit: 100 })) {
      if (meter.event_name === SEGMENTS_METER_EVENT_NAME) return meter.id;
    }
    const created = await call(() =>
      this.stripe.billing.meters.create(
        {
          display_name: 'SMS segments',
          event_name: SEGMENTS_METER_EVENT_NAME,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        },
        { idempotencyKey: `catalogue/meter/${SEGMENTS_METER_EVENT_NAME}` },
      ),
    );
    return created.id;
  }
}
