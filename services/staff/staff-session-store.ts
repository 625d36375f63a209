import type { EntityManager } from '@mikro-orm/postgresql';
import type { StaffRole } from './staff-roles';

/** The hand-written SQL of staff sessions: only a SHA-256 of each token is stored. */

export interface LiveStaffSession {
  id: string;
  staffUserId: string;
  role: StaffRole;
  expiresAt: Date;
}

export async function insertStaffSession(
  em: EntityManager,
  row: { id: string; staffUserId: string; tokenHash: Buffer; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await em.execute('insert into staff_sessions (id, staff_user_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?)', [
    row.id,
    row.staffUserId,
    row.tokenHash,
    row.createdAt,
    row.expiresAt,
  ]);
}

/** The session a token digest names, if it is unexpired, unrevoked and its user is not disabled. */
export async function findLiveStaffSession(em: EntityManager, tokenHash: Buffer, now: Date): Promise<LiveStaffSession | null> {
  const [row] = await em.execute<{ id: string; staff_user_id: string; role: StaffRole; expires_at: string | Date }[]>(
    `select s.id, s.staff_user_id, u.role, s.expires_at
       from staff_sessions s join staff_users u on u.id = s.staff_user_id
      where s.token_hash = ? and s.expires_at > ? and s.revoked_at is null and u.disabled_at is null`,
    [tokenHash, now],
  );
  return row ? { id: row.id, staffUserId: row.staff_user_id, role: row.role, expiresAt: new Date(row.expires_at) } : null;
}

export async function revokeStaffSession(em: EntityManager, id: string, now: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    'update staff_sessions set revoked_at = ? where id = ? and revoked_at is null returning id',
    [now, id],
  );
  return rows.length === 1;
}

/** Revokes every live session of a user (on disable); returns how many. */
export async function revokeStaffSessionsOf(em: EntityManager, staffUserId: string, now: Date): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    'update staff_sessions set revoked_at = ? where staff_user_id = ? and revoked_at is null and expires_at > ? returning id',
    [now, staffUserId, now],
  );
  return rows.length;
}

export async function findStaffSessionExpiry(em: EntityManager, id: string): Promise<Date | null> {
  const [row] = await em.execute<{ expires_at: string | Date }[]>('select expires_at from staff_sessions where id = ?', [id]);
  return row ? new Date(row.expires_at) : null;
}
