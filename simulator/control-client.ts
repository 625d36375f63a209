import type {
  CallbackKind,
  CallbackRecord,
  CallbackStats,
  CarrierVendor,
  EmailRecord,
  FaultPlan,
  FaultPlanInput,
  InboundRequest,
  InboundResult,
  LedgerEntry,
  LedgerSummary,
  MeterEventRecord,
  SimulatorConfigUpdate,
  StripeEventResult,
} from './types';
import type { NumberBook } from './number-book';

export type NumberBookState = ReturnType<NumberBook['state']>;

export interface LedgerQuery {
  m?: string;
  a?: string;
  to?: string;
  vendor?: CarrierVendor;
  limit?: number;
  offset?: number;
}

export interface CallbackQuery {
  m?: string;
  messageId?: string;
  kind?: CallbackKind;
  limit?: number;
}

export interface StripeCard {
  brand?: string;
  last4?: string;
  exp_month?: number;
  exp_year?: number;
  country?: string;
}

export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function queryString(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text.length > 0 ? `?${text}` : '';
}

/** Typed client of the simulator's control API (/_sim/*), for tests and benches. */
export class SimulatorControl {
  constructor(readonly baseUrl: string) {}

  keys(): Promise<{ telnyxPublicKey: string; twilioAccountSid: string }> {
    return this.call('GET', '/_sim/keys');
  }

  config(update: SimulatorConfigUpdate): Promise<Required<SimulatorConfigUpdate>> {
    return this.call('POST', '/_sim/config', update);
  }

  /** Replaces the fault plan (omitted parts take their defaults). */
  setFaults(plan: FaultPlanInput): Promise<FaultPlan> {
    return this.call('POST', '/_sim/faults', plan);
  }

  clearFaults(): Promise<FaultPlan> {
    return this.call('DELETE', '/_sim/faults');
  }

  faults(): Promise<FaultPlan> {
    return this.call('GET', '/_sim/faults');
  }

  ledger(query: LedgerQuery = {}): Promise<{ entries: LedgerEntry[]; total: number }> {
    return this.call('GET', `/_sim/ledger${queryString(query)}`);
  }

  /** Shifts the time stamped on accepted messages (ledger and carrier dates) by `offsetMs` from real time. */
  setClock(offsetMs: number): Promise<{ offsetMs: number; now: string }> {
    return this.call('POST', '/_sim/clock', { offsetMs });
  }

  summary(): Promise<LedgerSummary> {
    return this.call('GET', '/_sim/ledger/summary');
  }

  async callbacks(query: CallbackQuery = {}): Promise<CallbackRecord[]> {
    const body = await this.call<{ callbacks: CallbackRecord[] }>('GET', `/_sim/callbacks${queryString(query)}`);
    return body.callbacks;
  }

  callbackStats(): Promise<CallbackStats> {
    return this.call('GET', '/_sim/callbacks/stats');
  }

  /** Sends a signed inbound message to the configured inbound URL; answers with the product's HTTP status. */
  inbound(message: InboundRequest): Promise<InboundResult> {
    return this.call('POST', '/_sim/inbound', message);
  }

  async emails(to?: string): Promise<EmailRecord[]> {
    const body = await this.call<{ emails: EmailRecord[] }>('GET', `/_sim/emails${queryString({ to })}`);
    return body.emails;
  }

  /** Every meter event session token stops working (its 15 minutes are over): the client must open a new one. */
  async expireMeterSessions(): Promise<void> {
    await this.call('POST', '/_sim/stripe/expire-meter-sessions');
  }

  async meterEvents(customer?: string): Promise<MeterEventRecord[]> {
    const body = await this.call<{ meterEvents: MeterEventRecord[] }>('GET', `/_sim/stripe/meter-events${queryString({ customer })}`);
    return body.meterEvents;
  }

  /** Completes a SetupIntent (or the one behind a Checkout Session) with a card and posts the signed event. */
  stripeCompleteSetup(input: {
    setupIntent?: string;
    checkoutSession?: string;
    card?: StripeCard;
  }): Promise<StripeEventResult & { paymentMethod: string }> {
    return this.call('POST', '/_sim/stripe/complete-setup', input);
  }

  /** Issues an invoice for a customer and posts `invoice.finalized`, then `invoice.paid` or `invoice.payment_failed`. */
  stripeIssueInvoice(input: {
    customer: string;
    amountDue: number;
    outcome: 'paid' | 'payment_failed';
  }): Promise<{ invoice: string; events: StripeEventResult[] }> {
    return this.call('POST', '/_sim/stripe/invoices', input);
  }

  /** Pays an open invoice and posts `invoice.paid`. */
  stripePayInvoice(invoice: string): Promise<StripeEventResult> {
    return this.call('POST', '/_sim/stripe/pay-invoice', { invoice });
  }

  /** Posts a signed Stripe event of any type with this data.object. */
  stripeEvent(type: string, object: Record<string, unknown>): Promise<StripeEventResult> {
    return this.call('POST', '/_sim/stripe/events', { type, object });
  }

  /** What the carriers hold for one number (or every number): Telnyx numbers and orders, Twilio numbers and hosted-SMS orders. */
  numbers(phone?: string): Promise<NumberBookState> {
    return this.call('GET', `/_sim/numbers${phone === undefined ? '' : `?phone=${encodeURIComponent(phone)}`}`);
  }

  /** How long Telnyx orders stay pending and Twilio hosted-SMS orders take (null: until completeHosting). */
  numberTimings(timings: { telnyxOrderDelayMs?: number; hostedSmsDelayMs?: number | null }): Promise<NumberBookState['timings']> {
    return this.call('POST', '/_sim/numbers/timings', timings);
  }

  /** Completes the number's open hosted-SMS orders now. */
  completeHosting(phone: string): Promise<{ completed: number }> {
    return this.call('POST', '/_sim/numbers/complete-hosting', { phone });
  }

  /** Holds the numbers at both carriers at once (benches; no ordering). */
  provisionNumbers(phones: string[]): Promise<{ provisioned: number }> {
    return this.call('POST', '/_sim/numbers/provision', { phones });
  }

  async reset(): Promise<void> {
    await this.call('POST', '/_sim/reset');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the raw text
      }
      throw new SimulatorControlError(res.status, `simulator ${method} ${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  }
}
