import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import { AppError } from '../../lib/errors';

/**
 * Sending suspended for non-payment (dunning's 14th day, until the invoice is paid):
 * `account_billing.sending_suspended_at`. The API refuses new sends and campaign launches or
 * resumes (402 `account_suspended`), the dispatcher hands the account's queued messages back to the
 * outbox (`wait_reason = 'account_suspended'`) instead of sending them, and running campaigns pause.
 * Lifting the suspension releases the held messages at once: nothing queued is dropped.
 */

/** True when the account (an SQL expression) has its sending suspended. */
export const SENDING_SUSPENDED_SQL = (accountId: string) => `exists (
  select 1 from account_billing sb where sb.account_id = ${accountId} and sb.sending_suspended_at is not null)`;

/**
 * How long a held message waits before the dispatcher looks again. Lifting releases them at once;
 * this only bounds the wait of a message handed back by a send that read the suspension just
 * before it was lifted.
 */
export const SUSPENSION_RECHECK_MS = 60_000;

export const accountSuspendedError = () =>
  new AppError(
    'account_suspended',
    "the account's sending is suspended for an unpaid invoice: pay it (GET /v1/billing lists it) and sending resumes at once",
  );

/** Refuses (402) when the account's sending is suspended: campaign launch and resume. */
export async function requireSendingNotSuspended(em: EntityManager, accountId: string): Promise<void> {
  const rows = await em.execute<{ suspended: boolean }[]>(`select ${SENDING_SUSPENDED_SQL('?::uuid')} as suspended`, [accountId]);
  if (rows[0]?.suspended) throw accountSuspendedError();
}

/**
 * Suspends (an instant) or lifts (null) the account's sending. Lifting lets its held messages go
 * now; suspending twice keeps the first instant.
 */
export async function setSendingSuspended(db: Pool | PoolClient, accountId: string, suspendedAt: Date | null): Promise<void> {
  await db.query(
    `insert into account_billing (account_id, sending_suspended_at, updated_at) values ($1, $2, now())
     on conflict (account_id) do update
       set sending_suspended_at = case when excluded.sending_suspended_at is null then null
                                       else coalesce(account_billing.sending_suspended_at, excluded.sending_suspended_at) end,
           updated_at = now()`,
    [accountId, suspendedAt],
  );
  if (suspendedAt !== null) return;
  await db.query(
    `update messages set next_attempt_at = now(), wait_reason = null, updated_at = now()
      where account_id = $1 and status = 'queued' and wait_reason = 'account_suspended'`,
    [accountId],
  );
}
