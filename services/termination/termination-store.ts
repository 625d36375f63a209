import { VERIFIED_MEMBER_SQL } from '../holders/memberships';
import type { Pool, PoolClient } from 'pg';
import type { DeletionCertificate } from './deletion-certificate';

export type TerminationStatus = 'pending' | 'deleting' | 'deleted' | 'reactivated';
export type Disposition = 'delete' | 'return_then_delete';

export interface TerminationRow {
  account_id: string;
  status: TerminationStatus;
  disposition: Disposition;
  requested_by_type: 'api_key' | 'staff';
  requested_by_id: string;
  reason: string | null;
  delete_early: boolean;
  terminated_at: Date;
  delete_by: Date;
  confirmed_at: Date | null;
  deletion_started_at: Date | null;
  key_destroyed_at: Date | null;
  deleted_at: Date | null;
  reactivated_at: Date | null;
  notify_email: string | null;
  counts_before: Record<string, number> | null;
  certificate: DeletionCertificate | null;
}

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** The termination process's own record: every SQL statement on account_terminations lives here. */
export async function readTermination(db: Queryable, accountId: string, options: { lock?: boolean } = {}): Promise<TerminationRow | null> {
  const { rows } = await db.query<TerminationRow>(
    `select * from account_terminations where account_id = $1${options.lock ? ' for update' : ''}`,
    [accountId],
  );
  return rows[0] ?? null;
}

/** How long ago the account was terminated, on the database's clock (null without a termination). */
export async function msSinceTermination(db: Queryable, accountId: string): Promise<number | null> {
  const { rows } = await db.query<{ ms: number }>(
    `select greatest(0, extract(epoch from clock_timestamp() - terminated_at) * 1000)::float8 as ms from account_terminations where account_id = $1`,
    [accountId],
  );
  return rows[0]?.ms ?? null;
}

export interface NewTermination {
  accountId: string;
  disposition: Disposition;
  requestedBy: { type: 'api_key' | 'staff'; id: string };
  reason: string | null;
  deleteEarly: boolean;
  notifyEmail: string | null;
}

/** A new termination, or a fresh one over a reactivated account's old record (its history is in the audit log). */
export async function upsertTermination(db: Queryable, t: NewTermination): Promise<TerminationRow> {
  const { rows } = await db.query<TerminationRow>(
    `insert into account_terminations as t (account_id, status, disposition, requested_by_type, requested_by_id, reason, delete_early,
       terminated_at, delete_by, notify_email, updated_at)
     values ($1, 'pending', $2, $3, $4, $5, $6, now(), now() + interval '30 days', $7, now())
     on conflict (account_id) do update set status = 'pending', disposition = excluded.disposition,
       requested_by_type = excluded.requested_by_type, requested_by_id = excluded.requested_by_id, reason = excluded.reason,
       delete_early = excluded.delete_early, terminated_at = excluded.terminated_at, delete_by = excluded.delete_by,
       confirmed_at = null, deletion_started_at = null, key_destroyed_at = null, deleted_at = null, reactivated_at = null,
       notify_email = excluded.notify_email, counts_before = null, certificate = null, updated_at = now()
     where t.status = 'reactivated'
     returning *`,
    [t.accountId, t.disposition, t.requestedBy.type, t.requestedBy.id, t.reason, t.deleteEarly, t.notifyEmail],
  );
  return rows[0]!;
}

/**
 * "At once" on termination, in the caller's transaction: the account is terminated, every API key
 * revoked, every holder session ended, and every message not yet handed to a carrier cancelled.
 */
export async function shutDownAccount(db: Queryable, accountId: string): Promise<{ keysRevoked: number; messagesCancelled: number }> {
  await db.query(`update accounts set status = 'terminated', updated_at = now() where id = $1`, [accountId]);
  const keys = await db.query('update api_keys set revoked_at = now() where account_id = $1 and revoked_at is null', [accountId]);
  await db.query('delete from sessions where account_id = $1', [accountId]);
  const messages = await cancelQueuedMessages(db, accountId);
  return { keysRevoked: keys.rowCount ?? 0, messagesCancelled: messages };
}

/** Messages still queued (not claimed by a dispatcher) never go out. */
export async function cancelQueuedMessages(db: Queryable, accountId: string): Promise<number> {
  const res = await db.query(
    `update messages set status = 'failed', error_code = 'account_terminated', failed_at = now(), claimed_until = null, updated_at = now()
      where account_id = $1 and status = 'queued'`,
    [accountId],
  );
  return res.rowCount ?? 0;
}

/** The account holder who receives the export link and the certificate: the account's first verified owner (else first verified member). */
export async function accountContactEmail(db: Queryable, accountId: string): Promise<string | null> {
  const { rows } = await db.query<{ email: string }>(
    `select u.email from account_memberships m join users u on u.id = m.user_id
      where m.account_id = $1 and ${VERIFIED_MEMBER_SQL} order by (m.role = 'owner') desc, m.created_at, u.id limit 1`,
    [accountId],
  );
  return rows[0]?.email ?? null;
}
