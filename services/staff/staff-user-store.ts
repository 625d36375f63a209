import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeCursor, type PageRequest } from '../pagination';
import type { StaffRole } from './staff-roles';

/** The hand-written SQL of staff users. Emails are stored lower-cased and unique case-insensitively. */

export interface StaffUserRow {
  id: string;
  email: string;
  role: StaffRole;
  /** Null until the user enrols (sets both factors with their one-time link), and again after a reset. */
  passwordHash: string | null;
  /** Sealed under the staff-TOTP system key, bound to the user's id (totp-secret.ts); null with passwordHash. */
  totpSecret: Buffer | null;
  createdAt: Date;
  disabledAt: Date | null;
}

interface StoredStaffUser {
  id: string;
  email: string;
  role: StaffRole;
  password_hash: string | null;
  totp_secret: Buffer | null;
  /** The ORM's connection hands timestamps back as text. */
  created_at: string | Date;
  disabled_at: string | Date | null;
}

const COLUMNS = 'id, email, role, password_hash, totp_secret, created_at, disabled_at';

const toRow = (r: StoredStaffUser): StaffUserRow => ({
  id: r.id,
  email: r.email,
  role: r.role,
  passwordHash: r.password_hash,
  totpSecret: r.totp_secret,
  createdAt: new Date(r.created_at),
  disabledAt: r.disabled_at === null ? null : new Date(r.disabled_at),
});

export async function insertStaffUser(em: EntityManager, row: StaffUserRow): Promise<void> {
  await em.execute(`insert into staff_users (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)`, [
    row.id,
    row.email,
    row.role,
    row.passwordHash,
    row.totpSecret,
    row.createdAt,
    row.disabledAt,
  ]);
}

export async function findStaffUserByEmail(em: EntityManager, email: string): Promise<StaffUserRow | null> {
  const [row] = await em.execute<StoredStaffUser[]>(`select ${COLUMNS} from staff_users where lower(email) = lower(?)`, [email]);
  return row ? toRow(row) : null;
}

export async function findStaffUser(em: EntityManager, id: string, options: { forUpdate?: boolean } = {}): Promise<StaffUserRow | null> {
  const [row] = await em.execute<StoredStaffUser[]>(
    `select ${COLUMNS} from staff_users where id = ?${options.forUpdate ? ' for update' : ''}`,
    [id],
  );
  return row ? toRow(row) : null;
}

/** One page (plus one row, to know whether more follow) in id order: oldest first. */
export async function listStaffUsers(em: EntityManager, page: PageRequest): Promise<StaffUserRow[]> {
  const after = decodeCursor(page.cursor);
  const rows = await em.execute<StoredStaffUser[]>(
    `select ${COLUMNS} from staff_users ${after ? 'where id > ?' : ''} order by id limit ?`,
    after ? [after, page.limit + 1] : [page.limit + 1],
  );
  return rows.map(toRow);
}

/**
 * The ids of the active admins, their rows locked: two admins disabling each other at once are
 * serialised, so the last active admin can never be disabled.
 */
export async function lockActiveAdmins(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    "select id from staff_users where role = 'admin' and disabled_at is null order by id for update",
  );
  return rows.map((r) => r.id);
}

/** Sets both factors (enrolment) or clears both (reset); a fresh TOTP secret starts with no step used. */
export async function setStaffFactors(
  em: EntityManager,
  id: string,
  factors: { passwordHash: string; totpSecret: Buffer } | null,
): Promise<void> {
  await em.execute('update staff_users set password_hash = ?, totp_secret = ?, totp_last_step = null where id = ?', [
    factors?.passwordHash ?? null,
    factors?.totpSecret ?? null,
    id,
  ]);
}

export async function markStaffUserDisabled(em: EntityManager, id: string, now: Date): Promise<void> {
  await em.execute('update staff_users set disabled_at = ? where id = ? and disabled_at is null', [now, id]);
}

/**
 * Records `step` as the user's last accepted TOTP time step, only if it is later than the last one
 * (RFC 6238 §5.2: a code is accepted once; an older code after a newer one is refused too).
 * `eligible` false (wrong password, unknown user, wrong code) runs the same statement and changes
 * nothing, so every sign-in attempt costs the same round trip whatever failed.
 */
export async function consumeTotpStep(em: EntityManager, id: string, step: number, eligible: boolean): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update staff_users set totp_last_step = ?
      where id = ? and ?::boolean and disabled_at is null and (totp_last_step is null or totp_last_step < ?)
      returning id`,
    [step, id, eligible, step],
  );
  return rows.length === 1;
}
