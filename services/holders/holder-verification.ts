import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import { addMembership } from '../accounts';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';
import type { EmailLinks } from './email-links';
import { useEmailLink } from './link-use';

export interface HolderLinkUse {
  accountId: string;
  userId: string;
}

/** The mailbox is proven: the identity is verified, and so is its membership of the account the link was for. */
export async function markVerified(em: EntityManager, link: HolderLinkUse, now: Date): Promise<void> {
  await em.execute('update users set email_verified_at = coalesce(email_verified_at, ?) where id = ?', [now, link.userId]);
  await em.execute('update account_memberships set verified_at = coalesce(verified_at, ?) where user_id = ? and account_id = ?', [
    now,
    link.userId,
    link.accountId,
  ]);
}

/**
 * What the sign-up's emailed links do when used. A verification link proves the mailbox for the
 * identity and the account it was sent for; a claim link ("you already have an account") makes the
 * mailbox's owner the new account's owner. If the identity had never been verified, its password
 * was set by someone who never proved the mailbox: the claim's own sign-up password replaces it and
 * the identity's sessions end, so whoever squatted the email first keeps nothing.
 */
export class HolderVerification {
  constructor(
    readonly links: EmailLinks,
    readonly limits: AuthLimits,
  ) {}

  async verifyEmail(em: EntityManager, token: string, address: string): Promise<HolderLinkUse> {
    return em.transactional(async (tem) => {
      const link = await this.consumeOrCharge(tem, token, 'verify_email', address);
      await markVerified(tem, link, new Date());
      await appendAudit(tem, {
        actorType: 'user',
        actorId: link.userId,
        accountId: link.accountId,
        action: 'holder.email_verified',
        targetType: 'user',
        targetId: link.userId,
      });
      return link;
    });
  }

  async claimAccount(em: EntityManager, token: string, address: string): Promise<HolderLinkUse> {
    return em.transactional(async (tem) => {
      const link = await this.consumeOrCharge(tem, token, 'claim_account', address);
      const now = new Date();
      const [user] = await tem.execute<{ email_verified_at: Date | null }[]>(
        'select email_verified_at from users where id = ? for update',
        [link.userId],
      );
      const wasUnverified = !user?.email_verified_at;
      if (wasUnverified && link.passwordHash) {
        await tem.execute('update users set password_hash = ? where id = ?', [link.passwordHash, link.userId]);
        await tem.execute('delete from sessions where user_id = ?', [link.userId]);
      }
      await addMembership(tem, link.userId, link.accountId, 'owner', now);
      await markVerified(tem, link, now);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: link.userId,
        accountId: link.accountId,
        action: 'holder.account_claimed',
        targetType: 'account',
        targetId: link.accountId,
        details: { passwordReplaced: wasUnverified && link.passwordHash !== null },
      });
      return link;
    });
  }

  private async consumeOrCharge(em: EntityManager, token: string, purpose: 'verify_email' | 'claim_account', address: string) {
    const link = await useEmailLink(em, this, token, purpose, address);
    if (!link.userId || !link.accountId) throw new AppError('unauthorized', 'the link does not belong to a sign-up');
    return { userId: link.userId, accountId: link.accountId, passwordHash: link.passwordHash };
  }
}
