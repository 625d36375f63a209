const BRANDS: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
  unionpay: 'UnionPay',
};

export interface CardDisplay {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export const brandName = (brand: string) => BRANDS[brand] ?? brand;

/** "03/2031" */
export const expiryOf = (card: CardDisplay) => `${String(card.expMonth).padStart(2, '0')}/${card.expYear}`;

/** "Mastercard ending in 4444, expires 03/2031" */
export const cardText = (card: CardDisplay) => `${brandName(card.brand)} ending in ${card.last4}, expires ${expiryOf(card)}`;

/** A decimal amount (as the API writes money) in the currency. */
export function money(amount: string | number, currency: string): string {
  const value = typeof amount === 'number' ? amount : Number(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** An amount in the currency's minor unit (Stripe's invoice amounts). */
export function minorMoney(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // an unknown code: cents
  }
  return money(amount / 10 ** digits, currency);
}

export const dateOf = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString() : '—');
