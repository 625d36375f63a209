/** The one small interface every SMS carrier adapter implements (providers/sms/<vendor>/). */

export type CarrierId = 'telnyx' | 'twilio';

/** Our message statuses, in the only order they may move (see services/messaging). */
export type MessageStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'suppressed' | 'received';

export interface CarrierSendRequest {
  messageId: string;
  attemptId: string;
  from: string;
  to: string;
  body: string;
  /** Carries `m` (message id) and `a` (attempt id) so a receipt is matched even when the send's answer was lost. */
  statusCallbackUrl: string;
}

/**
 * accepted: the carrier took it (carrierMessageId set).
 * permanent: the carrier refused it for good (invalid or blocked destination): no failover.
 * transient: nothing was sent (refused connection, 5xx, 429, a temporary carrier code): fail over.
 * ambiguous: the request may have been sent (timeout or reset after it was written): reconcile first.
 */
export type SendOutcome =
  | { kind: 'accepted'; carrierMessageId: string; status: MessageStatus }
  | { kind: 'permanent' | 'transient' | 'ambiguous'; errorCode: string; errorDetail: string };

/** What a lookup of an ambiguous attempt proved. */
export type LookupResult = { found: true; carrierMessageId: string; status: MessageStatus } | { found: false };

export interface AttemptLookup {
  attemptId: string;
  messageId: string;
  from: string;
  to: string;
  body: string;
  /** When the attempt row was written (before the call). */
  attemptedAt: Date;
  /** Known when the send was answered; lost when it was ambiguous. */
  carrierMessageId?: string;
  /**
   * Carrier ids already recorded on other attempts (this message's, and any other message's to the same
   * number): a list lookup that cannot see our attempt id (Twilio matches on to/from/body/time) never
   * claims one of them for this attempt.
   */
  claimedCarrierMessageIds?: readonly string[];
}

/** A verified provider webhook, in our terms. Raw vendor payloads never leave the adapter. */
export type CarrierWebhookEvent =
  | {
      type: 'status';
      /** Provider event id used for replay protection (Telnyx event id; Twilio MessageSid + status). */
      eventId: string;
      carrier: CarrierId;
      carrierMessageId: string;
      /** From the callback URL's query, when present. */
      messageId?: string;
      attemptId?: string;
      status: MessageStatus;
      errorCode?: string;
      occurredAt: Date;
    }
  | {
      type: 'inbound';
      eventId: string;
      carrier: CarrierId;
      carrierMessageId: string;
      from: string;
      to: string;
      body: string;
      occurredAt: Date;
    };

export interface IncomingWebhook {
  /** The exact bytes received (signatures are over them). */
  rawBody: Buffer;
  headers: Record<string, string>;
  /** The full URL the provider called, as configured (Twilio signs it, query included). */
  url: string;
}

export class WebhookVerificationFailed extends Error {
  constructor(readonly reason: 'signature' | 'stale' | 'malformed') {
    super(`webhook rejected: ${reason}`);
    this.name = 'WebhookVerificationFailed';
  }
}

/** A lookup that could not ask the carrier (unreachable, refused): nothing was proved either way; retry. */
export class CarrierLookupFailed extends Error {
  constructor(
    readonly carrier: CarrierId,
    /** A vendor code, `HTTP_<status>` or a socket error code; never vendor text (it can echo the number). */
    readonly code: string,
  ) {
    super(`${carrier} lookup failed: ${code}`);
    this.name = 'CarrierLookupFailed';
  }
}

export interface SmsCarrier {
  readonly id: CarrierId;
  /** Never throws for a carrier outcome: every result is classified. */
  send(request: CarrierSendRequest): Promise<SendOutcome>;
  /**
   * Asks the carrier whether an ambiguous attempt was sent (fetch by id, else a list lookup).
   * found:false only when the carrier answered and has no such message; throws CarrierLookupFailed otherwise.
   */
  lookup(attempt: AttemptLookup): Promise<LookupResult>;
  /** Verifies the signature and timestamp, then maps the payload; throws WebhookVerificationFailed. */
  parseWebhook(webhook: IncomingWebhook): Promise<CarrierWebhookEvent>;
}
