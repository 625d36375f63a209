import type { EntityManager } from '@mikro-orm/postgresql';

/** The hand-written SQL of staff enrolments: one-time tokens, stored as their SHA-256 only. */

export interface OpenEnrolment {
  id: string;
  staffUserId: string;
  email: string;
  expiresAt: Date;
}

export async function insertStaffEnrolment(
  em: EntityManager,
  row: { id: string; staffUserId: string; tokenHash: Buffer; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await em.execute('insert into staff_enrolments (id, staff_user_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?)', [
    row.id,
    row.staffUserId,
    row.tokenHash,
    row.createdAt,
    row.expiresAt,
  ]);
}

/**
 * Uses the enrolment a token names, once: only while it is unused, unrevoked, unexpired and its user
 * active. Concurrent uses of one token are serialised by the row update; only one returns it.
 */
export async function consumeStaffEnrolment(em: EntityManager, tokenHash: Buffer, now: Date): Promise<OpenEnrolment | null> {
  const [row] = await em.execute<{ id: string; staff_user_id: string; email: string; expires_at: string | Date }[]>(
    `update staff_enrolments e set used_at = ?
       from staff_users u
      where e.token_hash = ? and u.id = e.staff_user_id and e.used_at is null and e.revoked_at is null
        and e.expires_at > ? and u.disabled_at is null
      returning e.id, e.staff_user_id, u.email, e.expires_at`,
    [now, tokenHash, now],
  );
  return row ? { id: row.id, staffUserId: row.staff_user_id, email: row.email, expiresAt: new Date(row.expires_at) } : null;
}

/** Whether the token opens an enrolment now (read only: the use itself is consumeStaffEnrolment's). */
export async function isStaffEnrolmentOpen(em: EntityManager, tokenHash: Buffer, now: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `select e.id from staff_enrolments e join staff_users u on u.id = e.staff_user_id
      where e.token_hash = ? and e.used_at is null and e.revoked_at is null and e.expires_at > ? and u.disabled_at is null`,
    [tokenHash, now],
  );
  return rows.length > 0;
}

/** A reset or a disable: every enrolment of the user still open stops working. */
export async function revokeStaffEnrolmentsOf(em: EntityManager, staffUserId: string, now: Date): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    'update staff_enrolments set revoked_at = ? where staff_user_id = ? and used_at is null and revoked_at is null returning id',
    [now, staffUserId],
  );
  return rows.length;
}
