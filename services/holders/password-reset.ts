import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { hashSecret } from '../../lib/crypto/argon2';
import { normalizeEmail } from '../accounts';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';
import type { EmailLinks } from './email-links';
import { sendHolderLink, type HolderMailDeps } from './holder-mail';
import type { LinkRequests } from './link-requests';
import { useEmailLink } from './link-use';

export interface PasswordResetDeps {
  orm: MikroORM;
  links: EmailLinks;
  requests: LinkRequests;
  limits: AuthLimits;
  mail: HolderMailDeps;
}

/**
 * Password reset by emailed link. The request answers the same, at once, whether or not the email
 * has a sign-in (LinkRequests); a known one gets a link (EMAIL_LINK_TTL_MS.password_reset: one hour)
 * that replaces any open one. Using it sets the new password, proves the mailbox, and ends every
 * session of the holder; the password was the credential in doubt.
 */
export class PasswordReset {
  constructor(private readonly deps: PasswordResetDeps) {}

  async request(email: string, address: string): Promise<void> {
    const to = normalizeEmail(email);
    await this.deps.requests.accept(address, 'password_reset', to, async () => {
      const issued = await this.deps.orm.em.fork().transactional(async (tem) => {
        const [user] = await tem.execute<{ id: string }[]>('select id from users where lower(email) = ?', [to]);
        if (!user) return null;
        await this.deps.links.revokeOpen(tem, user.id, 'password_reset');
        const link = await this.deps.links.issueReserved(tem, { purpose: 'password_reset', userId: user.id, rateKey: to });
        await appendAudit(tem, {
          actorType: 'user',
          actorId: user.id,
          action: 'holder.password_reset_requested',
          targetType: 'user',
          targetId: user.id,
          details: { linkId: link.id },
        });
        return link;
      });
      if (issued) await sendHolderLink(this.deps.mail, to, 'password_reset', issued, '');
    });
  }

  async reset(em: EntityManager, input: { token: string; newPassword: string }, address: string): Promise<{ sessionsEnded: number }> {
    return em.transactional(async (tem) => {
      const link = await useEmailLink(tem, this.deps, input.token, 'password_reset', address);
      const userId = link.userId!;
      const passwordHash = await hashSecret(input.newPassword);
      const now = new Date();
      await tem.execute('update users set password_hash = ?, email_verified_at = coalesce(email_verified_at, ?) where id = ?', [
        passwordHash,
        now,
        userId,
      ]);
      const ended = await tem.execute<{ id: string }[]>('delete from sessions where user_id = ? returning id', [userId]);
      await this.deps.links.revokeOpen(tem, userId, 'password_reset');
      await appendAudit(tem, {
        actorType: 'user',
        actorId: userId,
        action: 'holder.password_reset',
        targetType: 'user',
        targetId: userId,
        details: { linkId: link.id, sessionsEnded: ended.length },
      });
      return { sessionsEnded: ended.length };
    });
  }
}
