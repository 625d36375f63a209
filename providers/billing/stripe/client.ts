import Stripe from 'stripe';

export interface StripeBillingConfig {
  secretKey: string;
  webhookSecret: string;
  /** Unset: Stripe's API. Set (the simulator): every Stripe host, meter events included, goes there. */
  baseUrl?: string;
  /** One request's budget; a timeout after the request was written is an ambiguous outcome. */
  timeoutMs: number;
}

/**
 * Retries are off (`maxNetworkRetries: 0`, the SDK's default is 2): Temporal owns the retry policy,
 * and a retry must reuse its idempotency key, which only the caller knows to do.
 */
export function createStripeClient(config: Pick<StripeBillingConfig, 'secretKey' | 'baseUrl' | 'timeoutMs'>): Stripe {
  const base = config.baseUrl ? new URL(config.baseUrl) : null;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 0,
    timeout: config.timeoutMs,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}
