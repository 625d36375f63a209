import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { BillingProvider, MeterEvent } from '../../providers/billing/billing-provider';
import { uniqueCountedSubset } from './counted-subset';
import {
  claimDueUsage,
  loadBucket,
  markReconciledCounted,
  markReconciledForResend,
  markReported,
  markUnresolved,
  meterIdentifier,
  nextUsageDueAt,
  scheduleRetry,
  type UsageRetry,
  type UsageToReport,
} from './usage-store';

export interface UsageReportSettings {
  /** Meter event stream requests (of up to `chunkSize` events) per second across all shards (Stripe's limit is above it). */
  ratePerSecond: number;
  shards: number;
  /** Rows one activity call takes at most. */
  batchSize: number;
  /** Events per provider call (one stream request; Stripe takes 100 at most). */
  chunkSize: number;
  /** A resend keeps its identifier this long after the first send: inside Stripe's 24 h dedupe. */
  dedupeWindowMs: number;
  leaseMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** The Billing Meter whose summaries reconcile in-doubt rows. */
  meterId: string;
  /** In-doubt rows of one customer-minute beyond this are not searched for a subset: left for an operator. */
  maxReconcileRows: number;
}

export const DEFAULT_USAGE_REPORT_SETTINGS: Omit<UsageReportSettings, 'meterId' | 'shards' | 'ratePerSecond'> = {
  batchSize: 1_000,
  chunkSize: 100,
  // Stripe keeps identifiers "at least 24 hours": an hour's margin for clocks and a late retry.
  dedupeWindowMs: 23 * 3_600_000,
  leaseMs: 120_000,
  baseBackoffMs: 2_000,
  maxBackoffMs: 30 * 60_000,
  maxReconcileRows: 400,
};

export interface UsageReportDeps {
  pgPool: Pool;
  meter: Pick<BillingProvider, 'sendMeterEvents' | 'meterEventSummaries'>;
  logger: Logger;
  settings: UsageReportSettings;
  /** Called between chunks (the activity heartbeats). */
  onProgress?: () => void;
  sleep?: (ms: number) => Promise<void>;
  /** The pacing clock, epoch ms (a test gives a virtual one that its `sleep` moves). */
  now?: () => number;
}

export interface UsageReportInput {
  shard: number;
  /** The reporter's clock (workflow time, so a time-skipping test moves it). */
  nowMs: number;
}

export interface UsageReportResult {
  claimed: number;
  reported: number;
  retried: number;
  /** In-doubt rows Stripe's totals showed counted. */
  reconciledCounted: number;
  /** In-doubt rows Stripe's totals showed never counted: resent under a new identifier. */
  reconciledResent: number;
  unresolved: number;
  /** Epoch ms of the next due row of this shard, or null. */
  nextDueAt: number | null;
}

const MINUTE = 60_000;

export function backoffMs(settings: Pick<UsageReportSettings, 'baseBackoffMs' | 'maxBackoffMs'>, attempt: number): number {
  return Math.min(settings.maxBackoffMs, settings.baseBackoffMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * One pass of a shard's reporter: sends the due rows' meter events (identifier = row id, timestamp =
 * acceptance) in stream requests paced to the shard's share of the rate, marks the accepted ones reported and backs
 * off the rest; rows whose dedupe window is over are reconciled against Stripe's totals first.
 */
export async function reportDueUsage(deps: UsageReportDeps, input: UsageReportInput): Promise<UsageReportResult> {
  const { settings, pgPool } = deps;
  const now = new Date(input.nowMs);
  const due = await claimDueUsage(pgPool, {
    shard: input.shard,
    shards: settings.shards,
    limit: settings.batchSize,
    now,
    leaseMs: settings.leaseMs,
    dedupeWindowMs: settings.dedupeWindowMs,
  });
  const result: UsageReportResult = {
    claimed: due.toSend.length + due.inDoubt.length,
    reported: 0,
    retried: 0,
    reconciledCounted: 0,
    reconciledResent: 0,
    unresolved: 0,
    nextDueAt: null,
  };
  if (due.inDoubt.length > 0) await reconcile(deps, due.inDoubt, now, result);
  await send(deps, due.toSend, now, result);
  const next = await nextUsageDueAt(pgPool, input.shard, settings.shards);
  result.nextDueAt = next?.getTime() ?? null;
  return result;
}

async function send(deps: UsageReportDeps, rows: UsageToReport[], now: Date, result: UsageReportResult): Promise<void> {
  const { settings } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  // Each shard paces itself to its share: one reporter per shard, so the shares add up to the rate.
  const perShardRate = settings.ratePerSecond / settings.shards;
  const clock = deps.now ?? Date.now;
  const attempts = new Map(rows.map((r) => [r.messageId, r]));
  const started = clock();
  let requests = 0;
  for (let i = 0; i < rows.length; i += settings.chunkSize) {
    const chunk = rows.slice(i, i + settings.chunkSize);
    const earliest = started + (requests / perShardRate) * 1000;
    if (earliest > clock()) await sleep(earliest - clock());
    const events: MeterEvent[] = chunk.map((r) => ({
      identifier: meterIdentifier(r.id, r.identifierRound),
      stripeCustomerId: r.stripeCustomerId,
      value: r.segments,
      timestamp: r.acceptedAt,
    }));
    const byIdentifier = new Map(chunk.map((r) => [meterIdentifier(r.id, r.identifierRound), r.messageId]));
    const outcomes = await deps.meter.sendMeterEvents(events);
    requests += 1;
    const accepted: string[] = [];
    const failed: UsageRetry[] = [];
    for (const outcome of outcomes) {
      const messageId = byIdentifier.get(outcome.identifier);
      if (messageId === undefined) continue;
      byIdentifier.delete(outcome.identifier);
      if (outcome.accepted) accepted.push(messageId);
      else {
        const attempt = attempts.get(messageId)?.attempts ?? 1;
        // A permanent refusal is retried too (slowly): usage is never dropped; past the window it is reconciled.
        const wait = outcome.error.kind === 'permanent' ? settings.maxBackoffMs : backoffMs(settings, attempt);
        failed.push({ messageId, code: `${outcome.error.kind}:${outcome.error.code}`, retryAt: new Date(now.getTime() + wait) });
      }
    }
    // An event the provider did not answer for stays leased; its lease expiring retries it.
    await markReported(deps.pgPool, accepted, now);
    await scheduleRetry(deps.pgPool, failed);
    result.reported += accepted.length;
    result.retried += failed.length;
    deps.onProgress?.();
  }
}

/**
 * After the window a resend could be counted twice, so nothing is resent blindly: per customer and
 * minute, Stripe's total minus what we know it counted is what the in-doubt rows contributed. A
 * unique subset of them with that sum was counted; the rest were not and are sent again under a new
 * identifier. No unique answer: the rows are left unresolved for an operator (never guessed).
 */
async function reconcile(deps: UsageReportDeps, rows: UsageToReport[], now: Date, result: UsageReportResult): Promise<void> {
  const { settings, pgPool } = deps;
  const buckets = new Map<string, UsageToReport[]>();
  for (const r of rows) {
    const start = Math.floor(r.acceptedAt.getTime() / MINUTE) * MINUTE;
    const key = `${r.accountId}|${r.stripeCustomerId}|${start}`;
    buckets.set(key, [...(buckets.get(key) ?? []), r]);
  }
  const postponed: UsageRetry[] = [];
  for (const [key, doubt] of buckets) {
    const [accountId, customer, startText] = key.split('|') as [string, string, string];
    const start = new Date(Number(startText));
    const end = new Date(start.getTime() + MINUTE);
    const bucket = await loadBucket(pgPool, accountId, start, end, now, settings.dedupeWindowMs);
    if (bucket.inFlight > 0) {
      // Stripe's total may still include a send inside its window: decide once that one is settled.
      for (const r of doubt)
        postponed.push({ messageId: r.messageId, code: 'reconcile_waiting', retryAt: new Date(now.getTime() + settings.maxBackoffMs) });
      continue;
    }
    const summaries = await deps.meter.meterEventSummaries(settings.meterId, customer, start, end);
    const stripeTotal = summaries.reduce((sum, s) => sum + s.aggregatedValue, 0);
    const delta = stripeTotal - bucket.reportedSegments;
    const subset =
      doubt.length <= settings.maxReconcileRows
        ? uniqueCountedSubset(
            doubt.map((r) => r.segments),
            delta,
          )
        : null;
    if (subset === null) {
      await markUnresolved(
        pgPool,
        doubt.map((r) => r.messageId),
        now,
        'reconcile_ambiguous',
      );
      deps.logger.warn({ accountId, rows: doubt.length, delta }, 'usage reconciliation could not tell which meter events Stripe counted');
      result.unresolved += doubt.length;
      continue;
    }
    const counted = doubt.filter((_, i) => subset[i]).map((r) => r.messageId);
    const notCounted = doubt.filter((_, i) => !subset[i]).map((r) => r.messageId);
    await markReconciledCounted(pgPool, counted, now);
    await markReconciledForResend(pgPool, notCounted, now);
    result.reconciledCounted += counted.length;
    result.reconciledResent += notCounted.length;
  }
  await scheduleRetry(pgPool, postponed);
}
