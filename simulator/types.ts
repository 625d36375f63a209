/** Shapes shared by the simulator's control API and its typed client (no runtime code). */

export type CarrierVendor = 'telnyx' | 'twilio';
export type FaultOp = 'send' | 'fetch' | 'list' | 'numbers' | 'meter_events';
/** Who a fault rule applies to: a carrier, or Stripe (op `meter_events`: POST /v1/billing/meter_events). */
export type FaultVendor = CarrierVendor | 'stripe';

export type Fault =
  /** Answer with this HTTP status and the vendor's error body (Telnyx 10007/10011, Twilio 20500/20429). */
  | { kind: 'status'; status: number }
  /** Answer with a vendor error code and status, e.g. Telnyx 40310 / 400 or Twilio 21211 / 400. */
  | { kind: 'error'; status: number; code: string | number; title?: string }
  /** Accept and record, then never answer (`timeout`) or destroy the socket (`reset`). */
  | { kind: 'ambiguous'; mode: 'timeout' | 'reset'; callback: boolean }
  /** Destroy the socket before accepting: nothing is recorded. */
  | { kind: 'reset_before' }
  /** Accept normally; the final status callback reports a delivery failure. */
  | { kind: 'undelivered'; code?: string | number };

export interface FaultRule {
  vendor: FaultVendor;
  op?: FaultOp;
  /** Probability in [0, 1] that a matching request gets this fault. */
  rate: number;
  /** Only requests to this destination number. */
  to?: string;
  fault: Fault;
}

export interface Outage {
  vendor: CarrierVendor;
  startInMs: number;
  durationMs: number;
  /** `refuse` closes the vendor's listener (real ECONNREFUSED); `status503` answers 503. */
  mode: 'refuse' | 'status503';
}

export type Latency = number | [number, number];

export interface CallbackPlan {
  /** `all`: sent then final; `final`: only the final status; `none`: no status callbacks. */
  mode: 'all' | 'final' | 'none';
  /** Delay before each status callback, picked in [min, max] ms. */
  delayMs: [number, number];
  outcome: 'delivered' | 'failed';
  /** Callbacks in flight at once towards the product. */
  concurrency: number;
}

export interface FaultPlan {
  seed: number;
  rules: FaultRule[];
  latencyMs: Partial<Record<CarrierVendor, Latency>>;
  outages: Outage[];
  callbacks: CallbackPlan;
}

/** What a client posts: everything optional except what it wants to change from the defaults. */
export interface FaultPlanInput {
  seed?: number;
  rules?: FaultRule[];
  latencyMs?: Partial<Record<CarrierVendor, Latency>>;
  outages?: Outage[];
  callbacks?: Partial<CallbackPlan>;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface LedgerEntry {
  vendor: CarrierVendor;
  id: string;
  from: string;
  to: string;
  text: string;
  /** The sender pool named instead of (or with) `from`: Telnyx messaging_profile_id, Twilio MessagingServiceSid. */
  service: string | null;
  /** Our message id and attempt id, read from the callback URL's query (`m`, `a`). */
  m: string | null;
  a: string | null;
  callbackUrl: string | null;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
  acceptedAt: string;
  sentAt: string | null;
  completedAt: string | null;
  status: MessageStatus;
  errorCode: string | null;
  /** How the fault plan treated it: null = normal; otherwise the ambiguous mode. */
  ambiguous: 'timeout' | 'reset' | null;
}

export interface LedgerSummary {
  total: number;
  byVendor: Record<CarrierVendor, number>;
  byStatus: Record<MessageStatus, number>;
  distinctMessages: number;
  /** Accepted entries whose callback URL carried no `m`. */
  withoutMessageId: number;
  duplicates: { m: string; count: number }[];
  duplicateCount: number;
}

export type CallbackKind = 'status' | 'inbound' | 'stripe';

export interface CallbackRecord {
  seq: number;
  vendor: CarrierVendor | 'stripe';
  kind: CallbackKind;
  /** Our message id (status callbacks), the carrier message id and the event name (e.g. message.finalized, delivered). */
  m: string | null;
  messageId: string | null;
  event: string;
  attempt: number;
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  answerStatus: number | null;
  error: string | null;
  sentAt: string;
}

export interface CallbackStats {
  scheduled: number;
  queued: number;
  inFlight: number;
  delivered: number;
  failed: number;
}

export interface SimulatorConfigUpdate {
  telnyxInboundUrl?: string | null;
  twilioInboundUrl?: string | null;
  stripeWebhookUrl?: string | null;
}

export interface InboundRequest {
  vendor: CarrierVendor;
  from: string;
  to: string;
  text: string;
}

export interface InboundResult {
  id: string;
  status: number | null;
}

export interface EmailRecord {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  tags: unknown;
  idempotencyKey: string | null;
  createdAt: string;
}

export interface MeterEventRecord {
  identifier: string;
  eventName: string;
  customer: string | null;
  value: string | null;
  timestamp: number;
  createdAt: string;
}

export interface StripeEventResult {
  eventId: string;
  status: number | null;
}
