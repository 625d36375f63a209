import type { Pool } from 'pg';
import { until } from './http-receiver';
import { createUsageActivities } from '../../activities/billing/usage-activities';
import { DEFAULT_USAGE_REPORT_SETTINGS, type UsageReportSettings } from '../../services/billing/usage-reporter';
import type { ServiceDeps } from '../../services/deps';
import { createBillingProvider } from '../../providers/billing/registry';
import type { BillingProvider } from '../../providers/billing/billing-provider';
import { SHARD_OF } from '../../services/billing/usage-store';
import type { SimulatorProcess } from './simulator-process';

/** The product's own Stripe adapter pointed at the simulator (the official SDK underneath). */
export function simulatorBilling(sim: SimulatorProcess, timeoutMs = 1_000): BillingProvider {
  const provider = createBillingProvider({ ...sim.env(), STRIPE_TIMEOUT_MS: timeoutMs });
  if (!provider) throw new Error('the simulator env names no Stripe key');
  return provider;
}

/** The catalogue `npm run billing:setup` creates (meter, segment price at 0.79 ¢, platform price $29), on the simulator's Stripe. */
export function simulatorCatalogue(sim: SimulatorProcess) {
  return simulatorBilling(sim, 5_000).ensureCatalogue({ currency: 'usd', segmentUnitAmountDecimal: '0.79', platformMonthlyAmount: 2900 });
}

/** The account's Stripe customer id, once its billing-customer process has stored it. */
export function customerOf(pool: Pool, accountId: string): Promise<string> {
  return until(
    async () =>
      (await pool.query<{ c: string | null }>('select stripe_customer_id as c from accounts where id = $1', [accountId])).rows[0]?.c ??
      undefined,
    'the Stripe customer',
    30_000,
  );
}

/** Gives the account a Stripe customer at the simulator and records it, as sign-up does. */
export async function giveStripeCustomer(pool: Pool, billing: BillingProvider, accountId: string): Promise<string> {
  const { customerId } = await billing.createCustomer({ accountId, idempotencyKey: `test-customer/${accountId}` });
  await pool.query(`update accounts set stripe_customer_id = $2 where id = $1`, [accountId, customerId]);
  return customerId;
}

/** Per account: segments of its accepted messages, of its usage rows, and of the simulator's meter events for its customer. */
export async function usageTotals(pool: Pool, sim: SimulatorProcess, accountId: string, customerId: string) {
  const { rows } = await pool.query<{ accepted: number; usage: number; usage_rows: number; sent_messages: number; unreported: number }>(
    `select (select coalesce(sum(segments), 0)::int from messages where account_id = $1 and status in ('sent', 'delivered', 'undelivered')) as accepted,
            (select count(*)::int from messages where account_id = $1 and status in ('sent', 'delivered', 'undelivered')) as sent_messages,
            (select coalesce(sum(segments), 0)::int from usage_events where account_id = $1) as usage,
            (select count(*)::int from usage_events where account_id = $1) as usage_rows,
            (select count(*)::int from usage_events where account_id = $1 and reported_at is null) as unreported`,
    [accountId],
  );
  const events = await sim.control.meterEvents(customerId);
  const meter = events.reduce((sum, e) => sum + Number(e.value), 0);
  return { ...rows[0]!, meter, meterEvents: events.length };
}

/** The usage reporter's activities on the run's services, reporting through `meter` as one shard (no alert emails). */
export function usageActivitiesFor(
  deps: ServiceDeps,
  meter: BillingProvider,
  settings: Partial<UsageReportSettings> & { meterId: string },
) {
  return createUsageActivities({
    pgPool: deps.pgPool,
    orm: deps.orm,
    keyring: deps.keyring,
    email: null,
    meter,
    logger: deps.logger,
    settings: { ...DEFAULT_USAGE_REPORT_SETTINGS, shards: 1, ratePerSecond: 1_000, ...settings },
  });
}

/** The reporter shard that takes an account's rows out of `shards` (the store's own hash, asked of the database). */
export async function usageShardOf(pool: Pool, accountId: string, shards: number): Promise<number> {
  const { rows } = await pool.query<{ shard: number }>(`select ${SHARD_OF('$1::uuid', '$2::int')}::int as shard`, [accountId, shards]);
  return rows[0]!.shard;
}
