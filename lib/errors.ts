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
  | 'conflict'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  field: string;
  reason: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    message: string,
    readonly extras: { fields?: FieldError[]; retryAfterSeconds?: number } = {},
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
