/**
 * Telnyx error codes that decide a send's outcome, each with the fixed text we record (never the
 * vendor's detail, which can echo the destination number). Source: Telnyx's public messaging error
 * docs (see /work/shared/PROVIDERS.md §5); codes not listed here are classified by HTTP status.
 */

/** The carrier refused the message for good: no failover (the other carrier would refuse it too). */
export const TELNYX_PERMANENT_CODES: Readonly<Record<string, string>> = {
  '40300': 'recipient opted out (STOP)',
  '40310': 'invalid destination number',
  '40001': 'destination not routable (landline or non-routable)',
  '40003': 'blocked as spam (permanent)',
};

/** Telnyx took nothing and asks to try later: fail over. */
export const TELNYX_TRANSIENT_CODES: Readonly<Record<string, string>> = {
  '10007': 'unexpected carrier error',
  '10011': 'too many requests',
  '40002': 'blocked as spam (temporary)',
  '40004': 'rejected by destination carrier',
  '40006': 'recipient unavailable',
};
