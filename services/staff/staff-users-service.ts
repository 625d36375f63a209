import type { EntityManager } from '@mikro-orm/postgresql';
import { hashSecret } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizeEmail } from '../accounts';
import type { StaffActor } from '../actor';
import { appendAudit, auditByStaff } from '../audit-log';
import { toPage, type Page, type PageRequest } from '../pagination';
import type { StaffRole } from './staff-roles';
import { findStaffSessionExpiry, revokeStaffSessionsOf } from './staff-session-store';
import {
  findStaffUser,
  findStaffUserByEmail,
  insertStaffUser,
  listStaffUsers,
  lockActiveAdmins,
  markStaffUserDisabled,
  type StaffUserRow,
} from './staff-user-store';
import { sealTotpSecret } from './totp-secret';
import { newTotpSecret, otpauthUri } from './totp';

export interface StaffUserView {
  id: string;
  email: string;
  role: StaffRole;
  createdAt: string;
  disabledAt: string | null;
}

export interface NewStaffUser {
  email: string;
  role: StaffRole;
  password: string;
}

/** Who creates a staff user: an admin through the API, or the operator bootstrapping the first admin (CLI, direct database). */
export type StaffUserCreator = StaffActor | 'operator';

export const toStaffUserView = (row: StaffUserRow): StaffUserView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
  disabledAt: row.disabledAt?.toISOString() ?? null,
});

/**
 * Staff accounts: created with an argon2id password and a fresh TOTP secret (sealed; its otpauth://
 * URI is returned once and never again), listed without secrets, disabled (never deleted) with
 * every live session revoked. The last active admin cannot be disabled.
 */
export class StaffUsersService {
  constructor(
    private readonly staffTotpKey: Buffer,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(em: EntityManager, input: NewStaffUser, by: StaffUserCreator): Promise<StaffUserView & { otpauthUri: string }> {
    const email = normalizeEmail(input.email);
    const passwordHash = await hashSecret(input.password);
    const now = new Date(this.clock());
    const id = uuidv7(now.getTime());
    const secret = newTotpSecret();
    const row: StaffUserRow = {
      id,
      email,
      role: input.role,
      passwordHash,
      totpSecret: sealTotpSecret(this.staffTotpKey, id, secret),
      createdAt: now,
      disabledAt: null,
    };
    await em.transactional(async (tem) => {
      if (await findStaffUserByEmail(tem, email)) throw new AppError('conflict', 'a staff user with this email already exists');
      await insertStaffUser(tem, row);
      const target = { type: 'staff_user', id };
      if (by === 'operator') {
        await appendAudit(tem, {
          actorType: 'operator',
          action: 'staff_user.created',
          targetType: target.type,
          targetId: id,
          details: { role: row.role },
        });
      } else {
        await auditByStaff(tem, by, 'staff_user.created', target, { role: row.role });
      }
    });
    return { ...toStaffUserView(row), otpauthUri: otpauthUri(secret, email) };
  }

  async list(em: EntityManager, page: PageRequest): Promise<Page<StaffUserView>> {
    return toPage(await listStaffUsers(em, page), page.limit, toStaffUserView);
  }

  async get(em: EntityManager, id: string): Promise<StaffUserView> {
    const row = await findStaffUser(em, id);
    if (!row) throw AppError.notFound('staff user');
    return toStaffUserView(row);
  }

  /** The caller's own account and session. */
  async whoAmI(em: EntityManager, actor: StaffActor): Promise<StaffUserView & { session: { id: string; expiresAt: string } }> {
    const user = await this.get(em, actor.staffUserId);
    const expiresAt = await findStaffSessionExpiry(em, actor.staffSessionId);
    if (!expiresAt) throw AppError.notFound('staff session');
    return { ...user, session: { id: actor.staffSessionId, expiresAt: expiresAt.toISOString() } };
  }

  async disable(em: EntityManager, actor: StaffActor, id: string): Promise<StaffUserView> {
    return em.transactional(async (tem) => {
      const activeAdmins = await lockActiveAdmins(tem);
      const user = await findStaffUser(tem, id, { forUpdate: true });
      if (!user) throw AppError.notFound('staff user');
      if (user.disabledAt) return toStaffUserView(user);
      if (activeAdmins.length === 1 && activeAdmins[0] === id) {
        throw new AppError('conflict', 'this is the last active admin: create another admin before disabling it');
      }
      const now = new Date(this.clock());
      await markStaffUserDisabled(tem, id, now);
      const revokedSessions = await revokeStaffSessionsOf(tem, id, now);
      await auditByStaff(tem, actor, 'staff_user.disabled', { type: 'staff_user', id }, { revokedSessions });
      return toStaffUserView({ ...user, disabledAt: now });
    });
  }
}
