import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/** Normalizes to E.164. Numbers without a leading + are read in `defaultCountry` (US unless told). */
export function normalizePhone(raw: string, defaultCountry = 'US'): PhoneResult {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'phone is empty' };
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry as never);
  if (!parsed) return { ok: false, reason: 'not a phone number' };
  if (!parsed.isValid()) return { ok: false, reason: `not a valid number for ${parsed.country ?? 'any country'}` };
  return { ok: true, e164: parsed.number };
}
