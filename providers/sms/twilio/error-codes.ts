/**
 * Twilio error codes that decide a send's outcome, each with the fixed text we record (never Twilio's
 * message, which can echo the destination number). Source: Twilio's public error dictionary (see
 * /work/shared/PROVIDERS.md §5); codes not listed here are classified by HTTP status.
 */

/** Twilio refused the message for good: no failover. */
export const TWILIO_PERMANENT_CODES: Readonly<Record<string, string>> = {
  '21211': 'invalid destination number',
  '21610': 'recipient unsubscribed (STOP)',
  '21614': 'destination is not a mobile number',
  '21612': 'destination not reachable from this sender',
  '21635': 'destination is a landline',
  '21608': 'unverified destination (trial account)',
};

/** Twilio took nothing and asks to try later: fail over. */
export const TWILIO_TRANSIENT_CODES: Readonly<Record<string, string>> = {
  '20429': 'too many requests',
  '20500': 'internal carrier error',
  '20503': 'service unavailable',
};
