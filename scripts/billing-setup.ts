import { loadConfig } from '../config/env';
import { createBillingProvider } from '../providers/billing/registry';

/**
 * `npm run billing:setup`: creates what is missing of the Stripe catalogue (found by lookup key and
 * meter event name, so a second run creates nothing) and prints the ids the product reads from env.
 * Prices: BILLING_SETUP_SEGMENT_UNIT_AMOUNT (minor units per segment, decimal; default 0.79) and
 * BILLING_SETUP_PLATFORM_AMOUNT (minor units per month; default 2900), in BILLING_SETUP_CURRENCY (usd).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const provider = createBillingProvider(config);
  if (!provider) throw new Error('set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET first');
  const ids = await provider.ensureCatalogue({
    currency: process.env.BILLING_SETUP_CURRENCY ?? 'usd',
    segmentUnitAmountDecimal: process.env.BILLING_SETUP_SEGMENT_UNIT_AMOUNT ?? '0.79',
    platformMonthlyAmount: Number(process.env.BILLING_SETUP_PLATFORM_AMOUNT ?? '2900'),
  });
  console.log(`STRIPE_METER_ID=${ids.meterId}\nSTRIPE_PRICE_SEGMENTS=${ids.segmentPriceId}\nSTRIPE_PRICE_PLATFORM=${ids.platformPriceId}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
