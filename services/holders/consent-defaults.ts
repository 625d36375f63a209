/**
 * What a holder has agreed to before making any choice, by the country in their profile.
 *
 * The Privacy Policy (SPEC §5b, issue 17): consents are off by default in the EU/EEA and the UK,
 * and product analytics are opt-in there. Elsewhere product analytics run on notice (the policy in
 * force says so) until the holder withdraws; marketing email has no on-by-notice rule anywhere in
 * the policy, so it is off for everyone until asked for. An unknown country counts as EU.
 */

export const CONSENT_PURPOSES = ['product_analytics', 'marketing_email'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** EU 27, the EEA's Iceland, Liechtenstein and Norway, and the United Kingdom (ISO 3166-1 alpha-2). */
export const OPT_IN_COUNTRIES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL',
  'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO', 'GB',
]); // prettier-ignore

/** Purposes the policy lets run on notice outside the opt-in countries. */
const ON_BY_NOTICE: ReadonlySet<ConsentPurpose> = new Set(['product_analytics']);

export type DefaultBasis = 'opt_in_required' | 'on_by_notice' | 'off_by_policy';

/** The default for one purpose: granted or not, and the rule that decided it. */
export function consentDefault(purpose: ConsentPurpose, country: string | null): { granted: boolean; basis: DefaultBasis } {
  if (country === null || OPT_IN_COUNTRIES.has(country)) return { granted: false, basis: 'opt_in_required' };
  if (ON_BY_NOTICE.has(purpose)) return { granted: true, basis: 'on_by_notice' };
  return { granted: false, basis: 'off_by_policy' };
}
