import { PhoneNumber } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.max.json';
import { AppError } from './errors';
import { cachePhonePatterns } from './phone-pattern-cache';

/** Undefined only if a libphonenumber-js release moved the helper (validation still works, slower). */
export const compiledPhonePatterns = cachePhonePatterns();

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

const E164_RE = /^\+[1-9]\d{6,14}$/;

function invalid(country: string | undefined): PhoneResult {
  return { ok: false, reason: `not a valid number for ${country ?? 'any country'}` };
}

/**
 * Input already in E.164 skips the general parser (most of its cost); validity is the same
 * metadata check. Anything it cannot confirm as valid is left to the full parser.
 */
function normalizeE164(e164: string): PhoneResult | undefined {
  let number: PhoneNumber;
  try {
    number = new PhoneNumber(e164, metadata);
  } catch {
    return undefined; // e.g. nothing left after the calling code: the full parser gives the reason
  }
  // Only a positive answer is final: for shared calling codes (+1, +7, +44…) the number may belong to
  // another country of that code, which the full parser works out.
  return number.isValid() ? { ok: true, e164 } : undefined;
}

/** Normalizes to E.164. Numbers without a leading + are read in `defaultCountry` (US unless told). */
export function normalizePhone(raw: string, defaultCountry = 'US'): PhoneResult {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'phone is empty' };
  const fast = E164_RE.test(trimmed) ? normalizeE164(trimmed) : undefined;
  return fast ?? normalizePhoneSlow(trimmed, defaultCountry);
}

/** A number an API caller sent, in E.164, or a validation error naming the `phone` field. */
export function requireE164(raw: string, field = 'phone'): string {
  const result = normalizePhone(raw);
  if (!result.ok) throw AppError.invalid(field, result.reason);
  return result.e164;
}

/** The general parser alone; the fallback of normalizePhone, and what tests compare the fast path with. */
export function normalizePhoneSlow(raw: string, defaultCountry = 'US'): PhoneResult {
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry as never);
  if (!parsed) return { ok: false, reason: 'not a phone number' };
  if (!parsed.isValid()) return invalid(parsed.country);
  return { ok: true, e164: parsed.number };
}
