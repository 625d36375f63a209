import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import type { StaffActor } from '../actor';
import { auditByStaff } from '../audit-log';
import { toPage, type Page, type PageRequest } from '../pagination';
import type { StaffRole } from './staff-roles';
import { revokeStaffEnrolmentsOf } from './staff-enrolment-store';
import { findStaffSessionExpiry, revokeStaffSessionsOf } from './staff-session-store';
import { findStaffUser, listStaffUsers, lockActiveAdmins, markStaffUserDisabled, type StaffUserRow } from './staff-user-store';

export interface StaffUserView {
  id: string;
  email: string;
  role: StaffRole;
  createdAt: string;
  disabledAt: string | null;
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
 * Staff accounts (created and reset by StaffEnrolmentService: the user sets their own factors),
 * listed without secrets, disabled (never deleted) with every live session and open enrolment
 * revoked. The last active admin cannot be disabled.
 */
export class StaffUsersService {
  constructor(
    private readonly staffTotpKey: Buffer,
    private readonly clock: () => number = Date.now,
  ) {}

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
      await revokeStaffEnrolmentsOf(tem, id, now);
      await auditByStaff(tem, actor, 'staff_user.disabled', { type: 'staff_user', id }, { revokedSessions });
      return toStaffUserView({ ...user, disabledAt: now });
    });
  }
}
