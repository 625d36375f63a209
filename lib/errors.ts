/** Every failure the product reports on purpose; api/problem.ts maps kinds to HTTP in one place. */
export type AppErrorKind =
  | 'validation'
  | 'malformed_body'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'request_timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'unavailable'
  /** No database connection came free in time (a pool's acquire timeout): retry shortly. */
  | 'database_busy'
  /** The account's data key was destroyed (crypto-shredded): its sealed data is gone for good. */
  | 'data_key_destroyed'
  /** A stored ciphertext did not open (tampered or moved to another row): a server-side fault, no internals. */
  | 'stored_data_unreadable'
  /** Messaging: the recipient opted out of this account's messages (STOP or the API). */
  | 'recipient_opted_out'
  /** Messaging: a data subject restricted processing of this number for this account. */
  | 'recipient_restricted'
  /** Messaging: `from` is not one of the account's registered sender numbers. */
  | 'sender_not_registered'
  /** Opt-outs: the recipient's own STOP (lifted by START) or a data subject's objection (lifted by staff). */
  | 'opt_out_not_removable'
  /** Billing: the account's monthly spend cap is reached; raise it (PATCH /v1/billing) or wait for the next month. */
  | 'spend_cap_reached'
  /** Billing: the account's sending is suspended for an unpaid invoice (dunning); paying lifts it at once. */
  | 'account_suspended';

export interface FieldError {
  field: string;
  reason: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    message: string,
    /** `cause` is logged by the API (type and code for driver errors), never sent to the client. */
    readonly extras: { fields?: FieldError[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', `${what} not found`);
  }

  static invalid(field: string, reason: string): AppError {
    return new AppError('validation', `${field}: ${reason}`, { fields: [{ field, reason }] });
  }
}
