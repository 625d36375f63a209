import { IANAZone } from 'luxon';
import { SINGLE_ZONE_COUNTRIES } from './data/country-zones';
import { NANP_AREA_CODE_GROUPS, NANP_FALLBACK_ZONES } from './data/nanp-area-codes';

/**
 * Where a recipient is, as far as quiet hours care: the zones its clock may be in (messaged only
 * while the window is open in all of them) and its state or province (whose rules apply).
 * A contact's `timezone` attribute (IANA) and `state` attribute ("FL" or "US-FL") win; otherwise a
 * +1 number is placed by its area code (an unknown code: every NANP zone, no state), another
 * number by its country when that country keeps one zone. Otherwise null: the recipient is
 * skipped with `timezone_unknown`.
 */
export interface RecipientPlace {
  zones: string[];
  region: string | null;
}

const AREA_CODES = new Map<string, RecipientPlace>(
  NANP_AREA_CODE_GROUPS.flatMap((g) =>
    g.codes.split(' ').map((code) => [code, { zones: g.spanning?.[code] ?? g.zones, region: g.region }] as const),
  ),
);

export const areaCodePlace = (e164: string): RecipientPlace | undefined => AREA_CODES.get(e164.slice(2, 5));

function countryZone(e164: string): string | undefined {
  for (const length of [1, 2, 3]) {
    const found = SINGLE_ZONE_COUNTRIES[e164.slice(1, 1 + length)];
    if (found) return found.zone;
  }
  return undefined;
}

function regionAttribute(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^(?:(?:US|CA)-)?([a-z]{2})$/i.exec(value.trim());
  return match ? match[1]!.toUpperCase() : null;
}

/** Zone names already checked: the check builds an Intl formatter (~40 µs), and a campaign sees few names. */
const checkedZones = new Map<string, boolean>();
const CHECKED_ZONES_MAX = 2_000;

function isValidZone(name: string): boolean {
  let valid = checkedZones.get(name);
  if (valid === undefined) {
    if (checkedZones.size >= CHECKED_ZONES_MAX) checkedZones.clear();
    valid = IANAZone.isValidZone(name);
    checkedZones.set(name, valid);
  }
  return valid;
}

export function recipientPlace(e164: string, attributes: Record<string, unknown>): RecipientPlace | null {
  const tz = attributes.timezone;
  const zoneAttribute = typeof tz === 'string' && isValidZone(tz) ? [tz] : null;
  const region = regionAttribute(attributes.state);
  if (e164.startsWith('+1')) {
    const byCode = areaCodePlace(e164);
    return { zones: zoneAttribute ?? byCode?.zones ?? NANP_FALLBACK_ZONES, region: region ?? byCode?.region ?? null };
  }
  const zone = countryZone(e164);
  const zones = zoneAttribute ?? (zone ? [zone] : null);
  return zones && { zones, region };
}
