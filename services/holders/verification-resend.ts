import type { MikroORM } from '@mikro-orm/postgresql';
import { normalizeEmail } from '../accounts';
import { appendAudit } from '../audit-log';
import type { EmailLinks } from './email-links';
import { sendHolderLink, type HolderMailDeps } from './holder-mail';
import type { LinkRequests } from './link-requests';

/**
 * A new verification link for an identity that has not proved its mailbox yet, for its newest
 * unverified account; it replaces the open ones. The answer is the same, at once, for an unknown
 * email, a verified one, or one that gets a link (LinkRequests); the budget is the sign-up link's own
 * (purpose verify_email, per email), so resending cannot flood a mailbox beyond what sign-up could.
 */
export class VerificationResend {
  constructor(private readonly deps: { orm: MikroORM; links: EmailLinks; requests: LinkRequests; mail: HolderMailDeps }) {}

  async request(email: string, address: string): Promise<void> {
    const to = normalizeEmail(email);
    await this.deps.requests.accept(address, 'verify_email', to, async () => {
      const issued = await this.deps.orm.em.fork().transactional(async (tem) => {
        const [pending] = await tem.execute<{ user_id: string; account_id: string; name: string }[]>(
          `select u.id as user_id, a.id as account_id, a.name
             from users u join account_memberships m on m.user_id = u.id and m.verified_at is null
             join accounts a on a.id = m.account_id and a.status = 'active'
            where lower(u.email) = ? and u.email_verified_at is null
            order by m.created_at desc, a.id desc limit 1`,
          [to],
        );
        if (!pending) return null;
        await this.deps.links.revokeOpen(tem, pending.user_id, 'verify_email');
        const link = await this.deps.links.issueReserved(tem, {
          purpose: 'verify_email',
          userId: pending.user_id,
          accountId: pending.account_id,
          rateKey: to,
        });
        await appendAudit(tem, {
          actorType: 'user',
          actorId: pending.user_id,
          accountId: pending.account_id,
          action: 'holder.verification_resent',
          targetType: 'user',
          targetId: pending.user_id,
          details: { linkId: link.id },
        });
        return { link, accountName: pending.name };
      });
      if (issued) await sendHolderLink(this.deps.mail, to, 'verify_email', issued.link, issued.accountName);
    });
  }
}
