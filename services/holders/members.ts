import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRole } from '../../db/entities/account-membership';
import { AppError } from '../../lib/errors';
import { appendAudit } from '../audit-log';
import type { HolderActor } from './holder-sessions';
import { requireMayGrant, type InvitationView } from './invitations';

export interface MemberView {
  userId: string;
  email: string;
  role: MembershipRole;
  since: string;
  /** The member proved their mailbox for this account (only verified members get notices). */
  verified: boolean;
}

/**
 * The account's members and open invitations; role changes and removals. Only an owner touches an
 * owner, and the last owner stays (an account without one could not be managed or notified). The
 * account's memberships are locked for the change, so two removals cannot leave it ownerless. A
 * removed member's sessions in the account end at once; a changed role rotates the member's session
 * token at its next use (HolderSessions.authenticate).
 */
export class Members {
  async list(em: EntityManager, actor: HolderActor): Promise<{ data: MemberView[]; invitations: InvitationView[] }> {
    const members = await em.execute<{ user_id: string; email: string; role: MembershipRole; created_at: Date; verified: boolean }[]>(
      `select u.id as user_id, u.email, m.role, m.created_at, (m.verified_at is not null and u.email_verified_at is not null) as verified
         from account_memberships m join users u on u.id = m.user_id where m.account_id = ? order by m.created_at, u.id limit 500`,
      [actor.accountId],
    );
    const invitations = await em.execute<{ id: string; email: string; role: MembershipRole; created_at: Date; expires_at: Date }[]>(
      `select i.id, i.email, i.role, i.created_at, l.expires_at from account_invitations i join email_links l on l.id = i.link_id
        where i.account_id = ? and i.accepted_at is null and i.revoked_at is null and l.used_at is null and l.revoked_at is null and l.expires_at > now()
        order by i.created_at, i.id limit 500`,
      [actor.accountId],
    );
    return {
      data: members.map((m) => ({
        userId: m.user_id,
        email: m.email,
        role: m.role,
        since: new Date(m.created_at).toISOString(),
        verified: m.verified,
      })),
      invitations: invitations.map((i) => ({
        id: i.id,
        email: i.email,
        role: i.role,
        createdAt: new Date(i.created_at).toISOString(),
        expiresAt: new Date(i.expires_at).toISOString(),
      })),
    };
  }

  async changeRole(em: EntityManager, actor: HolderActor, userId: string, role: MembershipRole): Promise<MemberView> {
    await em.transactional(async (tem) => {
      const from = await this.lockedTarget(tem, actor, userId, role === 'owner' ? 'owner' : null);
      if (from === role) return;
      await tem.execute('update account_memberships set role = ? where user_id = ? and account_id = ?', [role, userId, actor.accountId]);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'member.role_changed',
        targetType: 'user',
        targetId: userId,
        details: { from, to: role },
      });
    });
    return (await this.list(em, actor)).data.find((m) => m.userId === userId)!;
  }

  async remove(em: EntityManager, actor: HolderActor, userId: string): Promise<void> {
    await em.transactional(async (tem) => {
      const role = await this.lockedTarget(tem, actor, userId, null);
      await tem.execute('delete from account_memberships where user_id = ? and account_id = ?', [userId, actor.accountId]);
      const ended = await tem.execute<{ id: string }[]>('delete from sessions where user_id = ? and account_id = ? returning id', [
        userId,
        actor.accountId,
      ]);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'member.removed',
        targetType: 'user',
        targetId: userId,
        details: { role, sessionsEnded: ended.length },
      });
    });
  }

  /**
   * Locks the account's memberships and returns the target's role: 404 when not a member, 403 when
   * an admin touches an owner (or grants owner), 409 when the last owner would stop being one.
   */
  private async lockedTarget(
    em: EntityManager,
    actor: HolderActor,
    userId: string,
    granting: MembershipRole | null,
  ): Promise<MembershipRole> {
    const rows = await em.execute<{ user_id: string; role: MembershipRole }[]>(
      'select user_id, role from account_memberships where account_id = ? order by user_id for update',
      [actor.accountId],
    );
    const target = rows.find((r) => r.user_id === userId);
    if (!target) throw AppError.notFound('member');
    requireMayGrant(actor, target.role);
    if (granting) requireMayGrant(actor, granting);
    if (target.role === 'owner' && granting !== 'owner' && rows.filter((r) => r.role === 'owner').length === 1) {
      throw new AppError('conflict', 'the account keeps at least one owner: make someone else owner first');
    }
    return target.role;
  }
}
