import Stripe from 'stripe';
import { provesNotConnected } from '../../sms/network-errors';
import { BillingProviderError } from '../billing-provider';

const { StripeConnectionError, StripeRateLimitError, StripeAPIError, StripeError, StripeIdempotencyError } = Stripe.errors;

/** The socket code the SDK puts in `detail` (an Error with `code`) for a connection failure. */
function connectionCode(error: InstanceType<typeof StripeConnectionError>): string {
  const detail = error.detail as { code?: unknown } | undefined;
  return typeof detail?.code === 'string' ? detail.code : 'CONNECTION_ERROR';
}

const safeCode = (code: unknown): string | null => (typeof code === 'string' && /^[a-z0-9_]{1,64}$/.test(code) ? code : null);

/**
 * Turns whatever the SDK threw into a classified error. The vendor's message is never kept (it can
 * echo an email or a card detail); only its stable code.
 */
export function classifyStripeError(error: unknown): BillingProviderError {
  if (error instanceof StripeConnectionError) {
    const code = connectionCode(error);
    // Refused (and friends) prove nothing was written; a timeout or reset came after it may have been applied.
    return new BillingProviderError(provesNotConnected(code) ? 'retryable' : 'ambiguous', code, null);
  }
  if (error instanceof StripeRateLimitError) return new BillingProviderError('retryable', 'rate_limit', 429);
  if (error instanceof StripeIdempotencyError) return new BillingProviderError('permanent', 'idempotency_error', error.statusCode ?? 400);
  if (error instanceof StripeAPIError || (error instanceof StripeError && (error.statusCode ?? 0) >= 500)) {
    // Stripe's advice for a 5xx: retry with the same idempotency key (it either replays or runs it once).
    return new BillingProviderError('retryable', safeCode(error.code) ?? 'api_error', error.statusCode ?? null);
  }
  if (error instanceof StripeError) {
    const status = error.statusCode ?? null;
    if (status === 409) return new BillingProviderError('retryable', safeCode(error.code) ?? 'conflict', status);
    return new BillingProviderError('permanent', safeCode(error.code) ?? safeCode(error.rawType) ?? 'invalid_request', status);
  }
  // Not an SDK error (a bug mid-call): it may have been sent.
  return new BillingProviderError('ambiguous', 'unexpected_error', null);
}
