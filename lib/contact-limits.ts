import { isIP } from 'node:net';

/**
 * The one set of limits a contact's fields obey, wherever they come from (API body or CSV row).
 * Every value that passes them is one PostgreSQL accepts, so a row can never fail in the database
 * for its data alone.
 */
export const CONTACT_LIMITS = {
  phoneChars: 40,
  nameChars: 200,
  attributeCount: 100,
  attributeKeyChars: 100,
  attributeValueChars: 1000,
  /** The attributes as JSON, in UTF-8 bytes: bounds the sealed blob whatever the count and lengths. */
  attributesJsonBytes: 32_768,
  optInSourceChars: 200,
  /** The longest textual IPv6 address (with an embedded IPv4 tail). */
  ipChars: 45,
  /** Opt-in times: four-digit years only, well inside PostgreSQL's timestamptz range. */
  minYear: 1900,
  maxYear: 9999,
} as const;

export type LimitCheck = { ok: true } | { ok: false; reason: string };

const OK: LimitCheck = { ok: true };
const fail = (reason: string): LimitCheck => ({ ok: false, reason });

/** PostgreSQL text cannot hold U+0000; sealed JSON could, but one rule for every field is simpler. */
export const NUL_REASON = 'contains a NUL character';

export function checkText(value: string, maxChars: number): LimitCheck {
  if (value.length > maxChars) return fail(`longer than ${maxChars} characters`);
  if (value.includes('\0')) return fail(NUL_REASON);
  return OK;
}

export function checkIp(value: string): LimitCheck {
  if (value.length > CONTACT_LIMITS.ipChars || isIP(value) === 0) return fail('not an IP address');
  return OK;
}

// Calendar date, optionally a time (T or space) with optional fraction and offset. No expanded
// (+/-YYYYYY) years: they are where JavaScript and PostgreSQL disagree.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export type ParsedTime = { ok: true; date: Date } | { ok: false; reason: string };

/**
 * An ISO 8601 date or date-time; without an offset it is read as UTC (the worker's time zone must
 * not change what a file means).
 */
export function parseTimestamp(value: string): ParsedTime {
  const yearRange = `year must be between ${CONTACT_LIMITS.minYear} and ${CONTACT_LIMITS.maxYear}`;
  if (/^[+-]\d{6}-/.test(value.trim())) return { ok: false, reason: `${yearRange} (no expanded or negative years)` };
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return { ok: false, reason: 'not a date/time (use ISO 8601, e.g. 2024-05-01T12:00:00Z)' };
  const [, y, mo, d, h, mi, , zone] = m;
  const year = Number(y);
  if (year < CONTACT_LIMITS.minYear || year > CONTACT_LIMITS.maxYear) {
    return { ok: false, reason: yearRange };
  }
  // Date rolls 2024-02-30 over into March; a calendar check refuses it instead.
  const day = new Date(Date.UTC(year, Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59) {
    return { ok: false, reason: 'not a valid calendar date/time' };
  }
  const text = value
    .trim()
    .replace(' ', 'T')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(h === undefined ? `${text}T00:00:00Z` : zone === undefined ? `${text}Z` : text);
  if (Number.isNaN(date.getTime())) return { ok: false, reason: 'not a valid calendar date/time' };
  return { ok: true, date };
}

export type AttributeScalar = string | number | boolean | null;

/** The attribute that breaks a limit (its key, or null for the whole set), or null when all pass. */
export function checkAttributes(attributes: Record<string, unknown>): { key: string | null; reason: string } | null {
  const entries = Object.entries(attributes);
  if (entries.length > CONTACT_LIMITS.attributeCount) {
    return { key: null, reason: `more than ${CONTACT_LIMITS.attributeCount} attributes` };
  }
  for (const [key, value] of entries) {
    if (key.length === 0) return { key, reason: 'an attribute name is empty' };
    const keyCheck = checkText(key, CONTACT_LIMITS.attributeKeyChars);
    if (!keyCheck.ok) return { key: null, reason: `an attribute name is ${keyCheck.reason}` };
    if (typeof value === 'string') {
      const valueCheck = checkText(value, CONTACT_LIMITS.attributeValueChars);
      if (!valueCheck.ok) return { key, reason: valueCheck.reason };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { key, reason: 'not a finite number' };
    } else if (value !== null && typeof value !== 'boolean') {
      // Scalars only: stored JSON is never deeper than attributes → value.
      return { key, reason: 'must be a string, number, boolean or null' };
    }
  }
  if (Buffer.byteLength(JSON.stringify(attributes)) > CONTACT_LIMITS.attributesJsonBytes) {
    return { key: null, reason: `attributes larger than ${CONTACT_LIMITS.attributesJsonBytes} bytes in total` };
  }
  return null;
}
