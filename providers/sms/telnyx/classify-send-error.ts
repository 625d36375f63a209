import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'telnyx';
import type { SendOutcome } from '../carrier';
import { provesNotConnected, socketErrorCode } from '../network-errors';
import { safeVendorCode } from '../vendor-code';
import { TELNYX_PERMANENT_CODES, TELNYX_TRANSIENT_CODES } from './error-codes';

type FailedOutcome = Exclude<SendOutcome, { kind: 'accepted' }>;

function firstErrorCode(body: unknown): string | undefined {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return undefined;
  return safeVendorCode((errors[0] as { code?: unknown } | undefined)?.code);
}

/**
 * Turns whatever `messages.send` threw into an outcome. Details are fixed texts chosen here: the
 * vendor's own message can echo the destination number, so it is never passed on.
 */
export function classifyTelnyxSendError(error: unknown): FailedOutcome {
  // The timeout class extends the connection class: test it first.
  if (error instanceof APIConnectionTimeoutError) {
    return { kind: 'ambiguous', errorCode: 'TIMEOUT', errorDetail: 'Telnyx did not answer in time; the request was written' };
  }
  if (error instanceof APIConnectionError) {
    const code = socketErrorCode(error.cause) ?? 'CONNECTION_ERROR';
    return provesNotConnected(code)
      ? { kind: 'transient', errorCode: code, errorDetail: 'Telnyx connection failed before the request was written' }
      : { kind: 'ambiguous', errorCode: code, errorDetail: 'Telnyx connection lost after the request was written' };
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const vendorCode = firstErrorCode(error.error);
    if (vendorCode !== undefined && Object.hasOwn(TELNYX_PERMANENT_CODES, vendorCode)) {
      return { kind: 'permanent', errorCode: vendorCode, errorDetail: `Telnyx ${vendorCode}: ${TELNYX_PERMANENT_CODES[vendorCode]}` };
    }
    if (vendorCode !== undefined && Object.hasOwn(TELNYX_TRANSIENT_CODES, vendorCode)) {
      return { kind: 'transient', errorCode: vendorCode, errorDetail: `Telnyx ${vendorCode}: ${TELNYX_TRANSIENT_CODES[vendorCode]}` };
    }
    // 429, 5xx and any other refusal (auth, unknown 4xx code): Telnyx answered, so nothing was sent;
    // failing over lets the other carrier give its own verdict instead of losing the message here.
    const errorCode = vendorCode ?? `HTTP_${status}`;
    return { kind: 'transient', errorCode, errorDetail: `Telnyx refused the request (HTTP ${status}, code ${errorCode})` };
  }
  // Not an SDK error (a bug, an unexpected throw mid-call): it may have been sent, so reconcile.
  return { kind: 'ambiguous', errorCode: 'UNEXPECTED_ERROR', errorDetail: 'unexpected error during the Telnyx send' };
}
