import RestException from 'twilio/lib/base/RestException';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import type { SendOutcome } from '../carrier';
import { provesNotConnected } from '../network-errors';
import { safeVendorCode } from '../vendor-code';
import { TWILIO_PERMANENT_CODES, TWILIO_TRANSIENT_CODES } from './error-codes';

type FailedOutcome = Exclude<SendOutcome, { kind: 'accepted' }>;

/** axios (inside the Twilio SDK) marks its own errors; its class is not part of Twilio's public API. */
function isAxiosError(error: unknown): error is Error & { code?: string; response?: unknown } {
  return error instanceof Error && (error.constructor.name === 'AxiosError' || (error as { isAxiosError?: unknown }).isAxiosError === true);
}

function classifyRefusal(status: number, rawCode: unknown): FailedOutcome {
  const vendorCode = safeVendorCode(rawCode);
  if (vendorCode !== undefined && Object.hasOwn(TWILIO_PERMANENT_CODES, vendorCode)) {
    return { kind: 'permanent', errorCode: vendorCode, errorDetail: `Twilio ${vendorCode}: ${TWILIO_PERMANENT_CODES[vendorCode]}` };
  }
  if (vendorCode !== undefined && Object.hasOwn(TWILIO_TRANSIENT_CODES, vendorCode)) {
    return { kind: 'transient', errorCode: vendorCode, errorDetail: `Twilio ${vendorCode}: ${TWILIO_TRANSIENT_CODES[vendorCode]}` };
  }
  // 429, 5xx and any other refusal (auth, unknown 4xx code): Twilio answered, so nothing was sent;
  // failing over lets the other carrier give its own verdict instead of losing the message here.
  const errorCode = vendorCode ?? `HTTP_${status}`;
  return { kind: 'transient', errorCode, errorDetail: `Twilio refused the request (HTTP ${status}, code ${errorCode})` };
}

/**
 * Turns whatever `messages.create` threw into an outcome. Details are fixed texts chosen here: Twilio's
 * own message can echo the destination number, so it is never passed on.
 */
export function classifyTwilioSendError(error: unknown): FailedOutcome {
  if (error instanceof RestException || error instanceof TwilioServiceException) {
    return classifyRefusal(error.status, error.code);
  }
  if (isAxiosError(error)) {
    // Node's 'socket hang up' and a reset both surface as ECONNRESET; axios's timeout as ECONNABORTED.
    const code = error.code ?? 'CONNECTION_ERROR';
    return provesNotConnected(code)
      ? { kind: 'transient', errorCode: code, errorDetail: 'Twilio connection failed before the request was written' }
      : { kind: 'ambiguous', errorCode: code, errorDetail: 'Twilio did not answer: the request was written, it may have been sent' };
  }
  // Not an SDK or transport error (a bug, an unexpected throw mid-call): it may have been sent, so reconcile.
  return { kind: 'ambiguous', errorCode: 'UNEXPECTED_ERROR', errorDetail: 'unexpected error during the Twilio send' };
}
