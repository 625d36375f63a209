/**
 * Prices per segment live in `billing_prices` (effective-dated, per currency, in millionths of the
 * currency unit); an account bills in `billing_account_settings.currency` (usd when it has no row).
 * Estimates, usage costs and spend caps are all computed here, never from Stripe.
 */

/** The billing month (UTC) a moment belongs to, as a date. */
export const PERIOD_OF = (at: string) => `(date_trunc('month', ${at} at time zone 'UTC'))::date`;

/** The account's currency (usd by default). */
export const CURRENCY_OF = (accountId: string) =>
  `coalesce((select s.currency from billing_account_settings s where s.account_id = ${accountId}), 'usd')`;

/** The price per segment in effect at `at` in the account's currency (0 when none is defined yet). */
export const UNIT_PRICE_SQL = (accountId: string, at: string) =>
  `coalesce((select bp.unit_amount_micros from billing_prices bp
              where bp.currency = ${CURRENCY_OF(accountId)} and bp.effective_from <= ${at}
              order by bp.effective_from desc limit 1), 0)`;

export const MICROS_PER_UNIT = 1_000_000;

/** A money amount in micros as a decimal string of the major unit (7900 → "0.0079"); exact, no float. */
export function formatMicros(micros: bigint | number): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const text = fraction.length > 0 ? `${whole}.${fraction.padEnd(2, '0')}` : `${whole}.00`;
  return negative ? `-${text}` : text;
}

/** A decimal string of the major unit to micros ("12.5" → 12500000); null when it has more than 6 decimals. */
export function parseMicros(text: string): bigint | null {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return null;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}
