import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackDispatcher, OutgoingCallback } from './callbacks';
import type { SimulatorSecrets, Targets } from './context';
import { bearerToken, type NestedForm, parseNestedForm, queryOf, readBody, sendJson } from './http-util';
import { stripeId } from './ids';
import { stripeSignature } from './signing';
import { list, map, missing, notFound, now, str, StripeBillingObjects, type StripeObject, StripeRequestError } from './stripe-billing';

export { StripeRequestError } from './stripe-billing';
import type { MeterEventRecord, StripeEventResult } from './types';
import { MeterEventFaults, stripeFaultBody, type StripeFaultHooks } from './stripe-faults';
import { meterEventSummaries } from './stripe-meter-summaries';
import { type StreamedMeterEvent, StripeMeterStream } from './stripe-meter-stream';

const API_VERSION = '2026-10-28.endive';
const MAX_IDEMPOTENCY_KEYS = 100_000;

export interface Card {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  country: string;
}

export const DEFAULT_CARD: Card = { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, country: 'US' };

function stripeError(res: ServerResponse, error: StripeRequestError): void {
  sendJson(res, error.status, {
    error: { type: error.type, code: error.code ?? undefined, message: error.message, param: error.param ?? undefined },
  });
}

/**
 * The slice of Stripe the product uses: customers, setup intents, checkout sessions (setup mode),
 * payment methods, billing meter events (deduplicated by `identifier`), `Idempotency-Key` on every
 * POST, and signed events to the configured webhook URL on command.
 */
export class StripeSimulator {
  private readonly objects = new Map<string, StripeObject>();
  private readonly meterEvents = new Map<string, MeterEventRecord>();
  private readonly idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private readonly billing = new StripeBillingObjects({
    store: (object) => this.store(object),
    get: (prefix, id, kind) => this.get(prefix, id, kind),
    all: () => this.objects.values(),
    meterEvents: () => this.meterEvents.values(),
  });

  constructor(
    private readonly secrets: SimulatorSecrets,
    private readonly targets: Targets,
    private readonly dispatcher: CallbackDispatcher,
    private readonly publicUrl: () => string,
    faultHooks: StripeFaultHooks | null = null,
  ) {
    const faults = new MeterEventFaults(faultHooks);
    this.meterFaults = faults;
    this.meterStream = new StripeMeterStream({
      secretKey: () => secrets.stripeSecretKey,
      record: (event) => this.recordMeterEvent(event),
      faults,
      holdOrDrop: (res, mode) => faults.holdOrDrop(res, mode),
    });
  }

  private readonly meterFaults: MeterEventFaults;
  private readonly meterStream: StripeMeterStream;

  handles(path: string): boolean {
    return path.startsWith('/v1/') || this.meterStream.handles(path);
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (this.meterStream.handles(path)) return this.meterStream.handle(req, res, path);
    const token = bearerToken(req);
    if (token === null || (this.secrets.stripeSecretKey !== null && token !== this.secrets.stripeSecretKey)) {
      return stripeError(res, new StripeRequestError(401, 'invalid_request_error', null, 'Invalid API Key provided.'));
    }
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const keyHeader = req.headers['idempotency-key'];
    const key = method === 'POST' && typeof keyHeader === 'string' && keyHeader.length > 0 ? keyHeader : null;
    const fingerprint = createHash('sha256').update(`${method} ${path}\n${raw}`).digest('hex');
    if (key !== null) {
      const previous = this.idempotency.get(key);
      if (previous && previous.fingerprint !== fingerprint) {
        return stripeError(
          res,
          new StripeRequestError(
            400,
            'idempotency_error',
            null,
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          ),
        );
      }
      if (previous) return sendJson(res, previous.status, previous.body, { 'idempotent-replayed': 'true', 'request-id': requestId() });
    }
    const meterFault =
      method === 'POST' && path === '/v1/billing/meter_events'
        ? this.meterFaults.decide(str(parseNestedForm(raw), 'identifier') ?? '')
        : null;
    if (meterFault?.kind === 'reset_before') return void req.socket.destroy();
    if (meterFault?.kind === 'status' || meterFault?.kind === 'error') {
      const answer = stripeFaultBody(meterFault);
      return sendJson(res, answer.status, answer.body, { 'request-id': requestId(), 'stripe-version': API_VERSION });
    }
    let status = 200;
    let body: unknown;
    try {
      // GET and DELETE carry their parameters in the query string (`lookup_keys[]=…`, `invoice_now=true`).
      const form = method === 'GET' || method === 'DELETE' ? parseNestedForm(queryOf(req.url ?? '').toString()) : parseNestedForm(raw);
      body = this.route(method, path, form);
    } catch (err) {
      if (!(err instanceof StripeRequestError)) throw err;
      status = err.status;
      body = { error: { type: err.type, code: err.code ?? undefined, message: err.message, param: err.param ?? undefined } };
    }
    // Stripe replays 4xx answers too; 5xx are not saved so a retry can succeed.
    if (key !== null && status < 500) {
      if (this.idempotency.size >= MAX_IDEMPOTENCY_KEYS) this.idempotency.delete(this.idempotency.keys().next().value!);
      this.idempotency.set(key, { fingerprint, status, body });
    }
    // Counted, then the answer is lost: the client cannot tell whether it was.
    if (meterFault?.kind === 'ambiguous') return this.meterFaults.holdOrDrop(res, meterFault.mode);
    sendJson(res, status, body, { 'request-id': requestId(), 'stripe-version': API_VERSION });
  }

  /** Every meter event session token stops working, as 15 minutes later. */
  expireMeterSessions(): void {
    this.meterStream.expireSessions();
  }

  meterEventList(customer: string | undefined): MeterEventRecord[] {
    const all = [...this.meterEvents.values()];
    return customer === undefined ? all : all.filter((e) => e.customer === customer);
  }

  /** A Checkout session by id (for its hosted page), or null. */
  findCheckoutSession(id: string): StripeObject | null {
    const object = id.startsWith('cs_') ? this.objects.get(id) : undefined;
    return object?.object === 'checkout.session' ? object : null;
  }

  /** Completes a setup intent (directly or through its checkout session) with a card, and emits the event. */
  async completeSetup(input: {
    setupIntent?: string;
    checkoutSession?: string;
    card?: Partial<Card>;
  }): Promise<StripeEventResult & { paymentMethod: string }> {
    const card: Card = { ...DEFAULT_CARD, ...input.card };
    const session = input.checkoutSession !== undefined ? this.get('cs_', input.checkoutSession, 'checkout session') : null;
    const setupIntentId = input.setupIntent ?? (session ? String(session.setup_intent) : null);
    if (setupIntentId === null) throw missing('setupIntent');
    const intent = this.get('seti_', setupIntentId, 'setupintent');
    const paymentMethod = this.store({
      id: stripeId('pm'),
      object: 'payment_method',
      type: 'card',
      card: {
        brand: card.brand,
        last4: card.last4,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        country: card.country,
        funding: 'credit',
      },
      customer: intent.customer ?? null,
      created: now(),
      livemode: false,
      metadata: {},
    });
    Object.assign(intent, { status: 'succeeded', payment_method: paymentMethod.id });
    if (session) {
      Object.assign(session, { status: 'complete' });
      const result = await this.emit('checkout.session.completed', session);
      return { ...result, paymentMethod: paymentMethod.id };
    }
    const result = await this.emit('setup_intent.succeeded', intent);
    return { ...result, paymentMethod: paymentMethod.id };
  }

  /** Posts a signed event of any type to the configured webhook URL. */
  async emit(type: string, object: Record<string, unknown>): Promise<StripeEventResult> {
    const url = this.targets.stripeWebhookUrl;
    if (url === null)
      throw new StripeRequestError(409, 'invalid_request_error', null, 'No Stripe webhook URL is configured (POST /_sim/config).');
    const event = {
      id: stripeId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: now(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event, null, 2);
    const callback: OutgoingCallback = {
      vendor: 'stripe',
      kind: 'stripe',
      m: null,
      messageId: event.id,
      event: type,
      url,
      build: () => ({
        body: payload,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': stripeSignature(this.secrets.stripeWebhookSecret, payload),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
      }),
    };
    const delivery = await this.dispatcher.deliverNow(callback);
    return { eventId: event.id, status: delivery.status };
  }

  /** Issues an invoice for the customer (as a billing cycle would) and posts `invoice.finalized`, then `invoice.paid` or `invoice.payment_failed`. */
  async issueInvoice(input: {
    customer: string;
    amountDue: number;
    outcome: 'paid' | 'payment_failed';
  }): Promise<{ invoice: string; events: StripeEventResult[] }> {
    const invoice = this.billing.createInvoice({ customer: input.customer, amountDue: input.amountDue });
    const events = [await this.emit('invoice.finalized', { ...invoice })];
    if (input.outcome === 'paid') Object.assign(invoice, { status: 'paid', amount_paid: input.amountDue, amount_remaining: 0 });
    Object.assign(invoice, { attempt_count: 1 });
    events.push(await this.emit(`invoice.${input.outcome}`, { ...invoice }));
    return { invoice: invoice.id, events };
  }

  /** Marks an open invoice paid (the customer fixed their card) and posts `invoice.paid`. */
  async payInvoice(invoiceId: string): Promise<StripeEventResult> {
    const invoice = this.get('in_', invoiceId, 'invoice');
    Object.assign(invoice, { status: 'paid', amount_paid: invoice.amount_due, amount_remaining: 0 });
    return this.emit('invoice.paid', { ...invoice });
  }

  reset(): void {
    this.objects.clear();
    this.meterEvents.clear();
    this.idempotency.clear();
    this.meterFaults.reset();
    this.meterStream.reset();
  }

  private route(method: string, path: string, form: NestedForm): unknown {
    const parts = path.split('/').slice(2);
    const [resource, second, third] = parts;
    if (resource === 'customers' && method === 'POST' && second === undefined) return this.createCustomer(form);
    if (resource === 'customers' && method === 'GET' && second === undefined) {
      const data = [...this.objects.values()].filter((o) => o.object === 'customer');
      return { object: 'list', data, has_more: false, url: '/v1/customers' };
    }
    if (resource === 'customers' && second !== undefined && third === undefined) {
      const customer = this.get('cus_', second, 'customer');
      if (method === 'GET') return customer;
      if (method === 'POST') return this.updateCustomer(customer, form);
    }
    if (resource === 'setup_intents' && method === 'POST' && second === undefined) return this.createSetupIntent(form);
    if (resource === 'setup_intents' && method === 'GET' && second !== undefined && third === undefined)
      return this.get('seti_', second, 'setupintent');
    if (resource === 'checkout' && second === 'sessions' && method === 'POST' && third === undefined)
      return this.createCheckoutSession(form);
    if (resource === 'checkout' && second === 'sessions' && method === 'GET' && third !== undefined)
      return this.get('cs_', third, 'checkout session');
    if (resource === 'payment_methods' && method === 'GET' && second !== undefined && third === undefined)
      return this.get('pm_', second, 'payment_method');
    if (resource === 'billing' && second === 'meter_events' && method === 'POST' && third === undefined) return this.createMeterEvent(form);
    if (resource === 'billing' && second === 'meters' && third !== undefined && parts[3] === 'event_summaries' && method === 'GET')
      return meterEventSummaries(this.meterEvents.values(), third, form);
    const billing = this.billing.route(method, parts, form);
    if (billing.handled) return billing.body;
    throw new StripeRequestError(404, 'invalid_request_error', null, `Unrecognized request URL (${method}: ${path}).`);
  }

  private store(object: StripeObject): StripeObject {
    this.objects.set(object.id, object);
    return object;
  }

  private get(prefix: string, id: string, kind: string): StripeObject {
    const object = id.startsWith(prefix) ? this.objects.get(id) : undefined;
    if (!object) throw notFound(kind, id);
    return object;
  }

  private createCustomer(form: NestedForm): StripeObject {
    return this.store({
      id: stripeId('cus'),
      object: 'customer',
      created: now(),
      email: str(form, 'email'),
      name: str(form, 'name'),
      description: str(form, 'description'),
      metadata: map(form, 'metadata'),
      invoice_settings: { default_payment_method: null },
      livemode: false,
    });
  }

  private updateCustomer(customer: StripeObject, form: NestedForm): StripeObject {
    for (const field of ['email', 'name', 'description'] as const) if (str(form, field) !== null) customer[field] = str(form, field);
    if (form.metadata !== undefined) customer.metadata = { ...(customer.metadata as Record<string, string>), ...map(form, 'metadata') };
    const invoiceSettings = map(form, 'invoice_settings');
    if (invoiceSettings.default_payment_method !== undefined) {
      this.get('pm_', invoiceSettings.default_payment_method, 'payment_method');
      customer.invoice_settings = { default_payment_method: invoiceSettings.default_payment_method };
    }
    return customer;
  }

  private createSetupIntent(form: NestedForm): StripeObject {
    const customer = str(form, 'customer');
    if (customer !== null) this.get('cus_', customer, 'customer');
    const id = stripeId('seti');
    return this.store({
      id,
      object: 'setup_intent',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      created: now(),
      customer,
      metadata: map(form, 'metadata'),
      payment_method: null,
      payment_method_types: list(form, 'payment_method_types').length > 0 ? list(form, 'payment_method_types') : ['card'],
      status: 'requires_payment_method',
      usage: str(form, 'usage') ?? 'off_session',
      livemode: false,
    });
  }

  private createCheckoutSession(form: NestedForm): StripeObject {
    const mode = str(form, 'mode');
    if (mode === null) throw missing('mode');
    if (mode !== 'setup')
      throw new StripeRequestError(400, 'invalid_request_error', 'parameter_invalid', 'The simulator supports mode=setup only.', 'mode');
    const customer = str(form, 'customer');
    if (customer !== null) this.get('cus_', customer, 'customer');
    const successUrl = str(form, 'success_url');
    const intentForm: NestedForm = { metadata: form.metadata ?? {} };
    if (customer !== null) intentForm.customer = customer;
    const intent = this.createSetupIntent(intentForm);
    const id = stripeId('cs_test');
    return this.store({
      id,
      object: 'checkout.session',
      created: now(),
      customer,
      currency: str(form, 'currency'),
      mode,
      metadata: map(form, 'metadata'),
      setup_intent: intent.id,
      status: 'open',
      success_url: successUrl,
      cancel_url: str(form, 'cancel_url'),
      url: `${this.publicUrl()}/_sim/stripe/checkout/${id}`,
      livemode: false,
    });
  }

  private createMeterEvent(form: NestedForm): unknown {
    const eventName = str(form, 'event_name');
    if (eventName === null) throw missing('event_name');
    const payload = map(form, 'payload');
    if (Object.keys(payload).length === 0) throw missing('payload');
    const record = this.recordMeterEvent({
      identifier: str(form, 'identifier') ?? randomBytes(12).toString('hex'),
      eventName,
      payload,
      timestamp: Number(str(form, 'timestamp') ?? now()),
    });
    return {
      object: 'billing.meter_event',
      created: Math.floor(Date.parse(record.createdAt) / 1000),
      event_name: record.eventName,
      identifier: record.identifier,
      livemode: false,
      payload,
      timestamp: record.timestamp,
    };
  }

  /** Stripe enforces identifier uniqueness (at least 24 h): a repeat is not counted again. */
  private recordMeterEvent(event: StreamedMeterEvent): MeterEventRecord {
    const record = this.meterEvents.get(event.identifier) ?? {
      identifier: event.identifier,
      eventName: event.eventName,
      customer: event.payload.stripe_customer_id ?? null,
      value: event.payload.value ?? null,
      timestamp: event.timestamp,
      createdAt: new Date().toISOString(),
    };
    this.meterEvents.set(event.identifier, record);
    return record;
  }
}

function requestId(): string {
  return `req_${randomBytes(7).toString('hex')}`;
}
