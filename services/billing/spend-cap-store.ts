import type { Pool, PoolClient } from 'pg';
import { AppError } from '../../lib/errors';
import { CURRENCY_OF, PERIOD_OF } from './prices';

/**
 * Spend caps: a monthly cap per account (billing_account_settings.monthly_cap_micros) against the
 * month's spend (billing_period_usage, moved by the statement that records messages sent). At the
 * cap the API refuses new sends (402) and the dispatcher hands the account's queued messages back
 * to the outbox (`wait_reason = 'spend_cap'`) instead of sending them: nothing queued is dropped.
 */

/** How long a capped message waits before the dispatcher looks at its account's cap again. */
export const SPEND_CAP_RECHECK_MS = 60_000;

/** True when the account (an SQL expression) has spent its cap this month (`now` an SQL timestamptz). */
export const SPEND_CAP_REACHED_SQL = (accountId: string, now: string) => `exists (
  select 1 from billing_account_settings cs join billing_period_usage cp on cp.account_id = cs.account_id
   where cs.account_id = ${accountId} and cs.monthly_cap_micros is not null
     and cp.period_start = ${PERIOD_OF(now)} and cp.cost_micros >= cs.monthly_cap_micros)`;

export const spendCapError = (what = 'new sends are refused') =>
  new AppError(
    'spend_cap_reached',
    `the account's monthly spend cap is reached: ${what} until it is raised (PATCH /v1/billing) or the next month begins`,
  );

/** Whether the account has spent its cap in the month of `now` (a campaign's page and a resume ask). */
export async function spendCapReached(db: Pool | PoolClient, accountId: string, now: Date): Promise<boolean> {
  const { rows } = await db.query<{ reached: boolean }>(`select ${SPEND_CAP_REACHED_SQL('$1::uuid', '$2::timestamptz')} as reached`, [
    accountId,
    now,
  ]);
  return rows[0]!.reached;
}

export interface SpendState {
  currency: string;
  capMicros: bigint | null;
  periodStart: Date;
  segments: bigint;
  spendMicros: bigint;
}

export async function loadSpendState(pool: Pool, accountId: string, now = new Date()): Promise<SpendState> {
  const { rows } = await pool.query<{
    currency: string;
    cap: string | null;
    period_start: Date;
    segments: string | null;
    cost: string | null;
  }>(
    `select ${CURRENCY_OF('$1::uuid')} as currency,
            (select monthly_cap_micros from billing_account_settings where account_id = $1) as cap,
            ${PERIOD_OF('$2::timestamptz')}::timestamp at time zone 'UTC' as period_start,
            p.segments, p.cost_micros as cost
       from (select 1) one
       left join billing_period_usage p on p.account_id = $1 and p.period_start = ${PERIOD_OF('$2::timestamptz')}`,
    [accountId, now],
  );
  const r = rows[0]!;
  return {
    currency: r.currency,
    capMicros: r.cap === null ? null : BigInt(r.cap),
    periodStart: r.period_start,
    segments: BigInt(r.segments ?? 0),
    spendMicros: BigInt(r.cost ?? 0),
  };
}

/** Sets (or with null removes) the account's monthly cap; a raised cap lets its waiting messages go at once. */
export async function setMonthlyCap(pool: Pool, accountId: string, capMicros: bigint | null): Promise<void> {
  await pool.query(
    `insert into billing_account_settings (account_id, monthly_cap_micros, updated_at) values ($1, $2, now())
     on conflict (account_id) do update set monthly_cap_micros = excluded.monthly_cap_micros, updated_at = now()`,
    [accountId, capMicros === null ? null : capMicros.toString()],
  );
  await pool.query(
    `update messages set next_attempt_at = now(), wait_reason = null, updated_at = now()
      where account_id = $1 and status = 'queued' and wait_reason = 'spend_cap'
        and not ${SPEND_CAP_REACHED_SQL('$1::uuid', 'now()')}`,
    [accountId],
  );
}
