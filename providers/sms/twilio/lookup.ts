import type twilio from 'twilio';
import RestException from 'twilio/lib/base/RestException';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import { CarrierLookupFailed, type AttemptLookup, type LookupResult } from '../carrier';
import { safeVendorCode } from '../vendor-code';
import { twilioStatus } from './status';

export interface TwilioLookupOptions {
  /** How far our clock and Twilio's may disagree: a match may be created this long before the attempt row. */
  clockSkewMs: number;
  /** Messages listed for one to/from pair before giving up: an unproven lookup must not read as "not sent". */
  maxListed: number;
}

export const DEFAULT_TWILIO_LOOKUP: TwilioLookupOptions = { clockSkewMs: 120_000, maxListed: 1_000 };

function lookupFailed(error: unknown): CarrierLookupFailed {
  if (error instanceof RestException || error instanceof TwilioServiceException) {
    return new CarrierLookupFailed('twilio', safeVendorCode(error.code) ?? `HTTP_${error.status}`);
  }
  const code = (error as { code?: unknown } | null)?.code;
  return new CarrierLookupFailed('twilio', typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'CONNECTION_ERROR');
}

async function fetchBySid(client: twilio.Twilio, sid: string): Promise<LookupResult> {
  try {
    const message = await client.messages(sid).fetch();
    return { found: true, carrierMessageId: message.sid, status: twilioStatus(message.status) };
  } catch (error) {
    if (error instanceof RestException && error.status === 404) return { found: false };
    throw lookupFailed(error);
  }
}

/** Twilio documents its DateSent filters at day granularity: ask for the whole UTC day, filter precisely here. */
function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/**
 * Twilio keeps nothing of our attempt id that a list can show (the status callback URL is not listed),
 * so a lost answer is matched on to + from + exact body, created no earlier than the attempt row minus
 * the clock skew, and not already claimed by another attempt. The earliest such message wins.
 */
async function findByContent(client: twilio.Twilio, attempt: AttemptLookup, options: TwilioLookupOptions): Promise<LookupResult> {
  const notBefore = new Date(attempt.attemptedAt.getTime() - options.clockSkewMs);
  const claimed = new Set(attempt.claimedCarrierMessageIds ?? []);
  let listed;
  try {
    listed = await client.messages.list({
      to: attempt.to,
      from: attempt.from,
      dateSentAfter: startOfUtcDay(notBefore),
      limit: options.maxListed,
      pageSize: Math.min(options.maxListed, 1_000),
    });
  } catch (error) {
    throw lookupFailed(error);
  }
  const matches = listed
    .filter((m) => m.body === attempt.body && m.dateCreated.getTime() >= notBefore.getTime() && !claimed.has(m.sid))
    .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
  const match = matches[0];
  if (match) return { found: true, carrierMessageId: match.sid, status: twilioStatus(match.status) };
  // A full page may hide older candidates past the limit: that proves nothing.
  if (listed.length >= options.maxListed) throw new CarrierLookupFailed('twilio', 'TOO_MANY_RECORDS');
  return { found: false };
}

export function lookupTwilioAttempt(client: twilio.Twilio, attempt: AttemptLookup, options: TwilioLookupOptions): Promise<LookupResult> {
  return attempt.carrierMessageId ? fetchBySid(client, attempt.carrierMessageId) : findByContent(client, attempt, options);
}
