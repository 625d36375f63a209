import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/env';
import { ensureUsageReporterWorkflows } from '../workers/usage-reporter-workflows';
import { usageReporterWorkflowId } from '../workflows/billing/usage-reporter';
import { waitUntil } from './bench-kit';
import type { MessagesBenchContext, MessagesBenchPhase } from './messages-phase';
import { saturationPhase } from './messages-saturation';

/**
 * Usage reporting's cost on the send path, in the same run: saturation passes of `messages` with
 * reporting off, on, and off again (`billing_overhead` = 1 − on / mean of the two offs, so the table
 * growth between passes is charged to neither side). The usage reporters run in the measured worker
 * (every process serving the background queue has the meter configured, as production must) through
 * the whole phase and only then, so both sides have the same processes; "off" is the bench account
 * without its Stripe customer id, whose usage rows the reporters leave waiting (as for any account
 * without a customer), "on" with it. Between passes every row is
 * reported, so a pass reports its own rows only. The usage row itself is written in the statement that
 * records a message sent on both sides, as exactly-once needs. At the end `meter_total_matches`
 * compares the simulator's meter total for the account's customer with the segments of its usage rows
 * and of its accepted messages.
 */
export function billingOverheadPhase(options: { messages: number; clients: number; reporters: UsageReporters }): MessagesBenchPhase {
  const { messages, clients, reporters } = options;
  return {
    name: 'usage reporting on vs off',
    async run(ctx) {
      const customerId = await stripeCustomerOf(ctx);
      const reporting = (on: boolean) =>
        ctx.deps.pgPool.query(`update accounts set stripe_customer_id = $2 where id = $1`, [ctx.accountId, on ? customerId : null]);
      const rate = async () => (await saturationPhase({ messages, clients, viaOutbox: false }).run(ctx)).msgs_per_s as number;
      await reporters.start();
      try {
        // What the earlier phases left unreported goes first: each pass below reports only its own rows.
        await allReported(ctx);
        await reporting(false);
        const offBefore = await rate();
        ctx.log(`usage reporting off: ${offBefore} msg/s`);
        await reporting(true);
        await allReported(ctx);
        const on = await rate();
        ctx.log(`usage reporting on: ${on} msg/s`);
        await allReported(ctx);
        await reporting(false);
        const offAfter = await rate();
        ctx.log(`usage reporting off again: ${offAfter} msg/s`);
        await reporting(true);
        await allReported(ctx);
        const off = (offBefore + offAfter) / 2;
        const totals = await meterTotals(ctx, customerId);
        ctx.log(`meter totals: ${JSON.stringify(totals)}`);
        return {
          msgs_per_s_usage_off: Math.round(off),
          msgs_per_s_usage_on: on,
          billing_overhead: Number((1 - on / off).toFixed(3)),
          meter_segments: totals.meter,
          usage_segments: totals.usage,
          meter_total_matches: totals.meter === totals.usage && totals.usage === totals.accepted,
        };
      } finally {
        await reporting(true);
        await reporters.stop();
      }
    },
  };
}

/** The bench account's Stripe customer: sign-up creates it (the billing role), in the background. */
async function stripeCustomerOf(ctx: MessagesBenchContext): Promise<string> {
  let customer: string | null = null;
  await waitUntil(async () => {
    const { rows } = await ctx.deps.pgPool.query<{ c: string | null }>(`select stripe_customer_id as c from accounts where id = $1`, [
      ctx.accountId,
    ]);
    customer = rows[0]?.c ?? null;
    return customer !== null;
  }, 'the bench account’s Stripe customer');
  return customer!;
}

async function allReported(ctx: MessagesBenchContext): Promise<void> {
  await waitUntil(
    async () => {
      const { rows } = await ctx.deps.pgPool.query<{ n: number }>(
        `select count(*)::int as n from usage_events where account_id = $1 and reported_at is null`,
        [ctx.accountId],
      );
      return rows[0]!.n === 0;
    },
    'every usage row reported',
    600_000,
  );
}

async function meterTotals(ctx: MessagesBenchContext, customerId: string) {
  const { rows } = await ctx.deps.pgPool.query<{ accepted: number; usage: number }>(
    `select (select coalesce(sum(segments), 0)::int from messages
              where account_id = $1 and direction = 'outbound' and status in ('sent', 'delivered', 'undelivered')) as accepted,
            (select coalesce(sum(segments), 0)::int from usage_events where account_id = $1) as usage`,
    [ctx.accountId],
  );
  const events = await ctx.sim.control.meterEvents(customerId);
  return { ...rows[0]!, meter: events.reduce((sum, e) => sum + Number(e.value), 0), meterEvents: events.length };
}

export interface UsageReporters {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The usage reporter workflows, run by the phase: the worker starts them at its start (it has the
 * meter), so the bench stops them once they run and starts them again for its passes.
 */
export function usageReporters(
  temporal: Client,
  config: Pick<AppConfig, 'USAGE_REPORT_SHARDS' | 'USAGE_REPORT_RATE_PER_SECOND' | 'USAGE_REPORT_BATCH_SIZE' | 'USAGE_REPORT_IDLE_POLL_MS'>,
): UsageReporters {
  const handles = () =>
    Array.from({ length: config.USAGE_REPORT_SHARDS }, (_, shard) => temporal.workflow.getHandle(usageReporterWorkflowId(shard)));
  return {
    start: () => ensureUsageReporterWorkflows(temporal, config),
    async stop() {
      for (const handle of handles()) {
        await waitUntil(async () => (await handle.describe()).status.name === 'RUNNING', `${handle.workflowId} running`);
        await handle.terminate('bench: usage reporting runs in its phase only');
      }
    },
  };
}
