import type { AppConfig } from '../../config/env';
import type { BillingProvider } from './billing-provider';
import { StripeBillingProvider } from './stripe/stripe-billing-provider';

/** One Stripe request, end to end. */
export const STRIPE_REQUEST_TIMEOUT_MS = 10_000;

/** The configured billing provider, or null when Stripe is not configured (no secret key or webhook secret). */
export function createBillingProvider(
  config: Pick<AppConfig, 'STRIPE_SECRET_KEY' | 'STRIPE_BASE_URL' | 'STRIPE_WEBHOOK_SECRET'> &
    Partial<Pick<AppConfig, 'STRIPE_TIMEOUT_MS'>>,
): BillingProvider | null {
  if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET) return null;
  return new StripeBillingProvider({
    secretKey: config.STRIPE_SECRET_KEY,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    baseUrl: config.STRIPE_BASE_URL,
    timeoutMs: config.STRIPE_TIMEOUT_MS ?? STRIPE_REQUEST_TIMEOUT_MS,
  });
}
