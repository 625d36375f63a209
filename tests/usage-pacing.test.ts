import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../lib/ids';
import type { BillingProvider, MeterEvent } from '../providers/billing/billing-provider';
import { DEFAULT_USAGE_REPORT_SETTINGS, reportDueUsage } from '../services/billing/usage-reporter';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { giveStripeCustomer, simulatorBilling, usageShardOf } from './support/usage';

/**
 * The reporter stays under Stripe's request limit by pacing its stream requests: at
 * USAGE_REPORT_RATE_PER_SECOND requests a second (shared by the shards), each carrying up to
 * `chunkSize` events. Time here is virtual: the reporter's sleep moves the clock it paces by, so
 * the instants asserted are exact.
 */
let sim: SimulatorProcess;
let h: Harness;

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 31 });
  h = await startHarness({ env: sim.env() });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

describe('usage reporter pacing', () => {
  it('sends one stream request per chunk, at the shard’s share of the request rate, whatever the events per request', async () => {
    const account = await signUp(h.app, 'Pacing');
    const billing = simulatorBilling(sim, 5_000);
    const customer = await giveStripeCustomer(h.deps.pgPool, billing, account.accountId);
    // Due long before anything earlier test files left unreported: a pass at `reportAt` claims these rows only.
    const acceptedAt = new Date('2000-01-01T00:00:00Z');
    const reportAt = Date.parse('2000-01-01T00:01:00Z');
    const ids = Array.from({ length: 35 }, () => uuidv7());
    await h.deps.pgPool.query(
      `insert into usage_events (id, message_id, account_id, sender, segments, accepted_at, next_attempt_at)
       select id, gen_random_uuid(), $1, '+14155550199', 1, $3, $3 from unnest($2::uuid[]) as id`,
      [account.accountId, ids, acceptedAt],
    );
    let virtualNow = 1_000_000;
    const requests: { at: number; events: number }[] = [];
    const meter: Pick<BillingProvider, 'sendMeterEvents' | 'meterEventSummaries'> = {
      sendMeterEvents: (events: readonly MeterEvent[]) => {
        requests.push({ at: virtualNow - 1_000_000, events: events.length });
        return billing.sendMeterEvents(events);
      },
      meterEventSummaries: (...args) => billing.meterEventSummaries(...args),
    };
    const result = await reportDueUsage(
      {
        pgPool: h.deps.pgPool,
        meter,
        logger: h.deps.logger,
        settings: { ...DEFAULT_USAGE_REPORT_SETTINGS, meterId: 'mtr_unused', shards: 4, ratePerSecond: 8, chunkSize: 10 },
        now: () => virtualNow,
        sleep: (ms) => {
          virtualNow += ms;
          return Promise.resolve();
        },
      },
      // Four shards: the account's rows are on the shard its id hashes to.
      { shard: await usageShardOf(h.deps.pgPool, account.accountId, 4), nowMs: reportAt },
    );
    expect(result).toMatchObject({ claimed: 35, reported: 35, retried: 0 });
    // 8 requests/s over 4 shards: 2 a second for this shard, 500 ms apart, 10 events each but the last.
    expect(requests).toEqual([
      { at: 0, events: 10 },
      { at: 500, events: 10 },
      { at: 1_000, events: 10 },
      { at: 1_500, events: 5 },
    ]);
    const recorded = await sim.control.meterEvents(customer);
    expect(recorded.map((e) => e.identifier).sort()).toEqual([...ids].sort());
  });
});
