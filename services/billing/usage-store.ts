import type { Pool, PoolClient } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import { PERIOD_OF, UNIT_PRICE_SQL } from './prices';

/**
 * The SQL of usage per segment. A row is written once per accepted outbound message (unique
 * message id) in the statement that records the message sent; the reporter then owns its meter
 * event: sent while Stripe's 24-hour identifier dedupe protects a resend, reconciled against
 * Stripe's own totals after that.
 */

/**
 * Appended to a CTE named `sent` (the messages just recorded sent, `$1` their ids and `$5` a fresh
 * usage id per message, in the same order): one multi-row insert of the usage rows, and the month's
 * spend of each account moved by exactly the rows inserted (a repeated settle inserts nothing, so
 * it adds nothing). The price is the one in effect at acceptance, in the account's currency.
 */
export const USAGE_FROM_SENT_SQL = `,
  usage as (
    insert into usage_events (id, message_id, account_id, campaign_id, sender, segments, accepted_at, next_attempt_at)
    select u.id, sent.id, sent.account_id, sent.campaign_id, sent.sender, sent.segments, sent.sent_at, sent.sent_at
      from sent join unnest($1::uuid[], $5::uuid[]) as u(message_id, id) on u.message_id = sent.id
     where sent.direction = 'outbound'
    on conflict (message_id) do nothing
    returning account_id, segments, accepted_at)
  insert into billing_period_usage as p (account_id, period_start, segments, cost_micros)
  select usage.account_id, ${PERIOD_OF('usage.accepted_at')}, sum(usage.segments), sum(usage.segments * ${UNIT_PRICE_SQL('usage.account_id', 'usage.accepted_at')})
    from usage group by 1, 2
  on conflict (account_id, period_start) do update
    set segments = p.segments + excluded.segments, cost_micros = p.cost_micros + excluded.cost_micros`;

/** The meter event identifier of a row: its id, and a suffix once a reconciliation proved a send was never counted. */
export const meterIdentifier = (usageId: string, round: number): string => (round === 0 ? usageId : `${usageId}.r${round}`);

export interface UsageToReport {
  /** The row's own id: its meter event identifier. */
  id: string;
  /** The row's key, and the column usage_events is partitioned by: every update names rows by it. */
  messageId: string;
  accountId: string;
  stripeCustomerId: string;
  segments: number;
  acceptedAt: Date;
  identifierRound: number;
  firstAttemptAt: Date | null;
  /** Sends of this identifier so far, this claim's included. */
  attempts: number;
}

export interface DueUsage {
  /** Inside the dedupe window (or never sent): leased to this reporter, send them. */
  toSend: UsageToReport[];
  /** Sent at least once, unconfirmed, and the window is over: reconcile before anything is resent. */
  inDoubt: UsageToReport[];
}

export interface ClaimUsageInput {
  shard: number;
  shards: number;
  limit: number;
  now: Date;
  /** How long a claimed row is this reporter's before another run may take it (a crashed activity). */
  leaseMs: number;
  /** Resends with the same identifier are safe this long after the first send (below Stripe's 24 h). */
  dedupeWindowMs: number;
}

export const SHARD_OF = (column: string, shardsParam: string) => `(abs(hashtext(${column}::text)::bigint) % ${shardsParam})`;

/**
 * Due rows of this shard's accounts (accounts are split by a hash of their id, so one account's rows
 * have one reporter) whose account has a Stripe customer; rows of accounts without one wait. Rows
 * to send are leased in this transaction, so the first send time is committed before any call.
 */
export function claimDueUsage(pool: Pool, input: ClaimUsageInput): Promise<DueUsage> {
  return withPgTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      id: string;
      message_id: string;
      account_id: string;
      stripe_customer_id: string;
      segments: number;
      accepted_at: Date;
      identifier_round: number;
      first_attempt_at: Date | null;
      attempts: number;
    }>(
      `select u.id, u.message_id, u.account_id, a.stripe_customer_id, u.segments, u.accepted_at, u.identifier_round, u.first_attempt_at, u.attempts
         from usage_events u join accounts a on a.id = u.account_id
        where u.reported_at is null and u.unresolved_at is null and u.next_attempt_at <= $1
          and a.stripe_customer_id is not null and ${SHARD_OF('u.account_id', '$3')} = $2
        order by u.next_attempt_at
        limit $4
        for update of u skip locked`,
      [input.now, input.shard, input.shards, input.limit],
    );
    const windowStart = input.now.getTime() - input.dedupeWindowMs;
    const all = rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      accountId: r.account_id,
      stripeCustomerId: r.stripe_customer_id,
      segments: r.segments,
      acceptedAt: r.accepted_at,
      identifierRound: r.identifier_round,
      firstAttemptAt: r.first_attempt_at,
      attempts: r.attempts,
    }));
    const toSend = all.filter((r) => r.firstAttemptAt === null || r.firstAttemptAt.getTime() > windowStart);
    const inDoubt = all.filter((r) => r.firstAttemptAt !== null && r.firstAttemptAt.getTime() <= windowStart);
    if (toSend.length > 0) {
      await client.query(
        `update usage_events set attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $2),
                next_attempt_at = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
          where message_id = any($1::uuid[])`,
        [toSend.map((r) => r.messageId), input.now, input.leaseMs],
      );
    }
    return { toSend: toSend.map((r) => ({ ...r, firstAttemptAt: r.firstAttemptAt ?? input.now, attempts: r.attempts + 1 })), inDoubt };
  });
}

export async function markReported(pool: Pool, messageIds: string[], now: Date): Promise<void> {
  if (messageIds.length === 0) return;
  await pool.query(
    `update usage_events set reported_at = $2, last_error = null where message_id = any($1::uuid[]) and reported_at is null`,
    [messageIds, now],
  );
}

export interface UsageRetry {
  messageId: string;
  code: string;
  retryAt: Date;
}

/** Failed sends wait their backoff; the identifier stays, so a resend inside the window is deduplicated by Stripe. */
export async function scheduleRetry(pool: Pool, failures: UsageRetry[]): Promise<void> {
  if (failures.length === 0) return;
  await pool.query(
    `update usage_events u set next_attempt_at = f.retry_at, last_error = f.code
       from unnest($1::uuid[], $2::text[], $3::timestamptz[]) as f(message_id, code, retry_at)
      where u.message_id = f.message_id and u.reported_at is null`,
    [failures.map((f) => f.messageId), failures.map((f) => f.code), failures.map((f) => f.retryAt)],
  );
}

/** One customer's rows in one minute (Stripe's summaries are minute-aligned), as the reconciliation reads them. */
export interface UsageBucket {
  reportedSegments: number;
  /** Rows sent inside their window and not yet confirmed: while any exists, Stripe's total is not final. */
  inFlight: number;
}

export async function loadBucket(
  client: Pool | PoolClient,
  accountId: string,
  start: Date,
  end: Date,
  now: Date,
  dedupeWindowMs: number,
): Promise<UsageBucket> {
  const { rows } = await client.query<{ reported: number; in_flight: number }>(
    `select coalesce(sum(segments) filter (where reported_at is not null), 0)::int as reported,
            (count(*) filter (where reported_at is null and first_attempt_at is not null
                               and first_attempt_at > $4::timestamptz - make_interval(secs => $5::double precision / 1000)))::int as in_flight
       from usage_events where account_id = $1 and accepted_at >= $2 and accepted_at < $3`,
    [accountId, start, end, now, dedupeWindowMs],
  );
  return { reportedSegments: rows[0]!.reported, inFlight: rows[0]!.in_flight };
}

/** Stripe counted these (its total proves it): reported without another send. */
export async function markReconciledCounted(pool: Pool, messageIds: string[], now: Date): Promise<void> {
  if (messageIds.length === 0) return;
  await pool.query(
    `update usage_events set reported_at = $2, reconciled_at = $2, last_error = null where message_id = any($1::uuid[]) and reported_at is null`,
    [messageIds, now],
  );
}

/** Stripe never counted these: sent again now under a new identifier, with a new window. */
export async function markReconciledForResend(pool: Pool, messageIds: string[], now: Date): Promise<void> {
  if (messageIds.length === 0) return;
  await pool.query(
    `update usage_events set identifier_round = identifier_round + 1, first_attempt_at = null, attempts = 0,
            next_attempt_at = $2, reconciled_at = $2, last_error = 'reconciled_not_counted'
      where message_id = any($1::uuid[]) and reported_at is null`,
    [messageIds, now],
  );
}

/** Stripe's total does not single out which rows it counted: kept for an operator, never guessed. */
export async function markUnresolved(pool: Pool, messageIds: string[], now: Date, code: string): Promise<void> {
  if (messageIds.length === 0) return;
  await pool.query(
    `update usage_events set unresolved_at = $2, last_error = $3 where message_id = any($1::uuid[]) and reported_at is null`,
    [messageIds, now, code],
  );
}

/** The earliest moment this shard has something due (null: nothing pending with a customer). */
export async function nextUsageDueAt(pool: Pool, shard: number, shards: number): Promise<Date | null> {
  const { rows } = await pool.query<{ due: Date | null }>(
    `select min(u.next_attempt_at) as due from usage_events u join accounts a on a.id = u.account_id
      where u.reported_at is null and u.unresolved_at is null and a.stripe_customer_id is not null
        and ${SHARD_OF('u.account_id', '$2')} = $1`,
    [shard, shards],
  );
  return rows[0]?.due ?? null;
}
