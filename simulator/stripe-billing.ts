import type { NestedForm } from './http-util';
import { stripeId } from './ids';
import type { MeterEventRecord } from './types';

export type StripeObject = Record<string, unknown> & { id: string };

export class StripeRequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export const now = () => Math.floor(Date.now() / 1000);
export const str = (form: NestedForm, key: string): string | null => (typeof form[key] === 'string' ? form[key] : null);
export const map = (form: NestedForm, key: string): Record<string, string> => {
  const value = form[key];
  if (value === undefined || typeof value === 'string' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
};
export const list = (form: NestedForm, key: string): string[] => {
  const value = form[key];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (value !== undefined && typeof value === 'object') return Object.values(value).filter((v): v is string => typeof v === 'string');
  return [];
};
/** `items[0][price]=…` arrives as an array or an index-keyed object, depending on the encoder. */
const objects = (form: NestedForm, key: string): NestedForm[] => {
  const value = form[key];
  const all = Array.isArray(value) ? value : value !== undefined && typeof value === 'object' ? Object.values(value) : [];
  return all.filter((v): v is NestedForm => typeof v === 'object' && !Array.isArray(v));
};
export const missing = (param: string) =>
  new StripeRequestError(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param);
export const notFound = (kind: string, id: string, param = 'id') =>
  new StripeRequestError(404, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);
const invalid = (param: string, message: string) =>
  new StripeRequestError(400, 'invalid_request_error', 'parameter_invalid', message, param);

export interface ObjectStore {
  store(object: StripeObject): StripeObject;
  get(prefix: string, id: string, kind: string): StripeObject;
  all(): Iterable<StripeObject>;
  meterEvents(): Iterable<MeterEventRecord>;
}

const listOf = (url: string, data: unknown[]) => ({ object: 'list', data, has_more: false, url });

/**
 * The billing half of the Stripe fake: products, prices (found by `lookup_keys`), Billing Meters and
 * their event summaries, subscriptions (cancel with `invoice_now` leaves a final invoice) and invoices.
 */
export class StripeBillingObjects {
  constructor(private readonly objects: ObjectStore) {}

  route(method: string, parts: string[], form: NestedForm): { handled: true; body: unknown } | { handled: false } {
    const [resource, second, third, fourth] = parts;
    const ok = (body: unknown) => ({ handled: true as const, body });
    if (resource === 'products' && method === 'POST' && second === undefined) return ok(this.createProduct(form));
    if (resource === 'prices' && method === 'POST' && second === undefined) return ok(this.createPrice(form));
    if (resource === 'prices' && method === 'GET' && second === undefined) return ok(this.listPrices(form));
    if (resource === 'prices' && method === 'GET' && second !== undefined) return ok(this.objects.get('price_', second, 'price'));
    if (resource === 'billing' && second === 'meters') {
      if (method === 'POST' && third === undefined) return ok(this.createMeter(form));
      if (method === 'GET' && third === undefined) return ok(this.listMeters(form));
      if (method === 'GET' && third !== undefined && fourth === undefined) return ok(this.objects.get('mtr_', third, 'billing.meter'));
      if (method === 'GET' && third !== undefined && fourth === 'event_summaries') return ok(this.eventSummaries(third, form));
    }
    if (resource === 'subscriptions' && second === undefined && method === 'POST') return ok(this.createSubscription(form));
    if (resource === 'subscriptions' && second !== undefined && third === undefined) {
      if (method === 'GET') return ok(this.objects.get('sub_', second, 'subscription'));
      if (method === 'DELETE') return ok(this.cancelSubscription(second, form));
    }
    if (resource === 'invoices' && method === 'GET' && second !== undefined && third === undefined)
      return ok(this.objects.get('in_', second, 'invoice'));
    return { handled: false };
  }

  /** An invoice for a customer's subscription (what Stripe's billing cycle makes), for tests and `npm run dev`. */
  createInvoice(input: { customer: string; amountDue: number; currency?: string; status?: 'open' | 'paid' }): StripeObject {
    this.objects.get('cus_', input.customer, 'customer');
    const subscription = [...this.objects.all()].find((o) => o.object === 'subscription' && o.customer === input.customer) ?? null;
    const created = now();
    const paid = input.status === 'paid';
    const count = [...this.objects.all()].filter((o) => o.object === 'invoice').length;
    return this.objects.store({
      id: stripeId('in'),
      object: 'invoice',
      customer: input.customer,
      number: `SIM-${String(count + 1).padStart(4, '0')}`,
      status: input.status ?? 'open',
      currency: input.currency ?? 'usd',
      amount_due: input.amountDue,
      amount_paid: paid ? input.amountDue : 0,
      amount_remaining: paid ? 0 : input.amountDue,
      total: input.amountDue,
      period_start: created - 30 * 86_400,
      period_end: created,
      hosted_invoice_url: `https://invoice.stripe.com/i/sim_${created}`,
      parent: subscription ? { type: 'subscription_details', subscription_details: { subscription: subscription.id, metadata: {} } } : null,
      attempt_count: paid ? 1 : 0,
      created,
      livemode: false,
      lines: listOf('/v1/invoices/lines', []),
    });
  }

  private createProduct(form: NestedForm): StripeObject {
    const name = str(form, 'name');
    if (name === null) throw missing('name');
    return this.objects.store({
      id: stripeId('prod'),
      object: 'product',
      name,
      active: true,
      created: now(),
      livemode: false,
      metadata: {},
    });
  }

  private createPrice(form: NestedForm): StripeObject {
    const currency = str(form, 'currency');
    if (currency === null) throw missing('currency');
    let product = str(form, 'product');
    const productData = form.product_data;
    if (product === null && productData !== undefined && typeof productData === 'object' && !Array.isArray(productData)) {
      product = this.createProduct(productData).id;
    }
    if (product === null) throw missing('product');
    this.objects.get('prod_', product, 'product');
    const lookupKey = str(form, 'lookup_key');
    if (lookupKey !== null && [...this.objects.all()].some((o) => o.object === 'price' && o.lookup_key === lookupKey && o.active)) {
      throw invalid('lookup_key', `A price (\`${lookupKey}\`) already uses that lookup key.`);
    }
    const recurring = map(form, 'recurring');
    if (recurring.usage_type === 'metered') {
      if (recurring.meter === undefined) throw missing('recurring[meter]');
      this.objects.get('mtr_', recurring.meter, 'billing.meter');
    }
    const unitAmount = str(form, 'unit_amount');
    const unitAmountDecimal = str(form, 'unit_amount_decimal');
    if (unitAmount === null && unitAmountDecimal === null) throw missing('unit_amount');
    return this.objects.store({
      id: stripeId('price'),
      object: 'price',
      active: true,
      currency,
      product,
      lookup_key: lookupKey,
      billing_scheme: str(form, 'billing_scheme') ?? 'per_unit',
      unit_amount: unitAmount !== null ? Number(unitAmount) : null,
      unit_amount_decimal: unitAmountDecimal ?? unitAmount,
      recurring: recurring.interval
        ? {
            interval: recurring.interval,
            interval_count: 1,
            usage_type: recurring.usage_type ?? 'licensed',
            meter: recurring.meter ?? null,
          }
        : null,
      type: recurring.interval ? 'recurring' : 'one_time',
      created: now(),
      livemode: false,
      metadata: {},
    });
  }

  private listPrices(form: NestedForm): unknown {
    const keys = list(form, 'lookup_keys');
    const active = str(form, 'active');
    const data = [...this.objects.all()].filter(
      (o) =>
        o.object === 'price' &&
        (keys.length === 0 || keys.includes(String(o.lookup_key))) &&
        (active === null || String(o.active) === active),
    );
    return listOf('/v1/prices', data);
  }

  private createMeter(form: NestedForm): StripeObject {
    const eventName = str(form, 'event_name');
    if (eventName === null) throw missing('event_name');
    const displayName = str(form, 'display_name');
    if (displayName === null) throw missing('display_name');
    if ([...this.objects.all()].some((o) => o.object === 'billing.meter' && o.event_name === eventName && o.status === 'active')) {
      throw invalid('event_name', `An active meter with event_name \`${eventName}\` already exists.`);
    }
    const aggregation = map(form, 'default_aggregation');
    const mapping = map(form, 'customer_mapping');
    const valueSettings = map(form, 'value_settings');
    return this.objects.store({
      id: stripeId('mtr'),
      object: 'billing.meter',
      created: now(),
      display_name: displayName,
      event_name: eventName,
      default_aggregation: { formula: aggregation.formula ?? 'sum' },
      customer_mapping: { type: mapping.type ?? 'by_id', event_payload_key: mapping.event_payload_key ?? 'stripe_customer_id' },
      value_settings: { event_payload_key: valueSettings.event_payload_key ?? 'value' },
      event_time_window: null,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: now(),
      livemode: false,
    });
  }

  private listMeters(form: NestedForm): unknown {
    const status = str(form, 'status');
    const data = [...this.objects.all()].filter((o) => o.object === 'billing.meter' && (status === null || o.status === status));
    return listOf('/v1/billing/meters', data);
  }

  /** One summary over [start_time, end_time): the sum of the customer's events for this meter's event name. */
  private eventSummaries(meterId: string, form: NestedForm): unknown {
    const meter = this.objects.get('mtr_', meterId, 'billing.meter');
    const customer = str(form, 'customer');
    if (customer === null) throw missing('customer');
    const start = Number(str(form, 'start_time'));
    const end = Number(str(form, 'end_time'));
    if (!Number.isInteger(start)) throw missing('start_time');
    if (!Number.isInteger(end)) throw missing('end_time');
    if (start % 60 !== 0 || end % 60 !== 0) throw invalid('start_time', 'start_time and end_time must be aligned with minute boundaries.');
    let total = 0;
    for (const event of this.objects.meterEvents()) {
      if (event.eventName !== meter.event_name || event.customer !== customer) continue;
      if (event.timestamp >= start && event.timestamp < end) total += Number(event.value ?? 0);
    }
    return listOf(`/v1/billing/meters/${meterId}/event_summaries`, [
      {
        id: stripeId('mtrusg'),
        object: 'billing.meter_event_summary',
        aggregated_value: total,
        start_time: start,
        end_time: end,
        meter: meterId,
        livemode: false,
      },
    ]);
  }

  private createSubscription(form: NestedForm): StripeObject {
    const customer = str(form, 'customer');
    if (customer === null) throw missing('customer');
    this.objects.get('cus_', customer, 'customer');
    const items = objects(form, 'items');
    if (items.length === 0) throw missing('items');
    const created = now();
    const id = stripeId('sub');
    const defaultPaymentMethod = str(form, 'default_payment_method');
    if (defaultPaymentMethod !== null) this.objects.get('pm_', defaultPaymentMethod, 'payment_method');
    return this.objects.store({
      id,
      object: 'subscription',
      customer,
      status: 'active',
      created,
      start_date: created,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      default_payment_method: defaultPaymentMethod,
      metadata: map(form, 'metadata'),
      items: listOf(
        '/v1/subscription_items',
        items.map((item) => {
          const price = str(item, 'price');
          if (price === null) throw missing('items[0][price]');
          return {
            id: stripeId('si'),
            object: 'subscription_item',
            price: this.objects.get('price_', price, 'price'),
            subscription: id,
            current_period_start: created,
            current_period_end: created + 30 * 86_400,
          };
        }),
      ),
      livemode: false,
    });
  }

  private cancelSubscription(id: string, form: NestedForm): StripeObject {
    const subscription = this.objects.get('sub_', id, 'subscription');
    if (subscription.status === 'canceled') {
      throw new StripeRequestError(400, 'invalid_request_error', 'resource_missing', `No such subscription: '${id}'`, 'id');
    }
    const at = now();
    Object.assign(subscription, { status: 'canceled', canceled_at: at, ended_at: at });
    if (str(form, 'invoice_now') === 'true') {
      const invoice = this.createInvoice({ customer: String(subscription.customer), amountDue: this.usageAmount(subscription) });
      Object.assign(invoice, { billing_reason: 'subscription_cycle' });
      subscription.latest_invoice = invoice.id;
    }
    return subscription;
  }

  /** The metered items' usage to date at their unit price (minor units, rounded), as a final invoice bills it. */
  private usageAmount(subscription: StripeObject): number {
    const items = (subscription.items as { data: { price: StripeObject }[] }).data;
    let amount = 0;
    for (const { price } of items) {
      const recurring = price.recurring as { usage_type?: string; meter?: string } | null;
      if (recurring?.usage_type !== 'metered' || !recurring.meter) continue;
      const meter = this.objects.get('mtr_', recurring.meter, 'billing.meter');
      const usage = [...this.objects.meterEvents()]
        .filter((e) => e.customer === subscription.customer && e.eventName === meter.event_name)
        .reduce((sum, e) => sum + Number(e.value ?? 0), 0);
      amount += usage * Number(price.unit_amount_decimal ?? 0);
    }
    return Math.round(amount);
  }
}
