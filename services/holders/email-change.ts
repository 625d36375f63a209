import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import { normalizeEmail } from '../accounts';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';
import { emailChangedNotice } from '../email/templates/email-changed';
import { proveCurrentPassword } from './current-password';
import type { DeferredWork } from './deferred-work';
import type { EmailLinks } from './email-links';
import { sendHolderLink, sendHolderNotice, type HolderMailDeps } from './holder-mail';
import type { HolderActor } from './holder-sessions';
import { useEmailLink } from './link-use';

export interface EmailChangeDeps {
  links: EmailLinks;
  limits: AuthLimits;
  mail: HolderMailDeps;
  deferred: DeferredWork;
}

/**
 * A holder changes their sign-in email: they re-enter their password, a link goes to the new address
 * (EMAIL_LINK_TTL_MS.email_change), and only its use changes the email (then proven), tells the old
 * address, and voids the identity's open reset and change links. One identity per email holds at
 * use: the unique index on lower(email) decides, under concurrent changes and sign-ups alike. The
 * request answers alike whether or not the new address already signs in (then no link is sent),
 * and the email leaves after the answer.
 */
export class EmailChange {
  constructor(private readonly deps: EmailChangeDeps) {}

  async request(
    em: EntityManager,
    actor: HolderActor,
    input: { newEmail: string; currentPassword: string },
    address: string,
  ): Promise<void> {
    await proveCurrentPassword(
      em,
      this.deps.limits,
      { userId: actor.userId, password: input.currentPassword, field: 'currentPassword' },
      address,
    );
    const to = normalizeEmail(input.newEmail);
    const [me] = await em.execute<{ email: string }[]>('select email from users where id = ?', [actor.userId]);
    if (me?.email === to) throw AppError.invalid('newEmail', 'is already your email');
    await this.deps.links.reserve('email_change', to);
    const issued = await em.transactional(async (tem) => {
      await this.deps.links.revokeOpen(tem, actor.userId, 'email_change');
      const [taken] = await tem.execute<{ id: string }[]>('select id from users where lower(email) = ?', [to]);
      const link = taken
        ? null
        : await this.deps.links.issueReserved(tem, { purpose: 'email_change', userId: actor.userId, rateKey: to, newEmail: to });
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'holder.email_change_requested',
        targetType: 'user',
        targetId: actor.userId,
        details: { linkId: link?.id ?? null },
      });
      return link;
    });
    if (issued) this.deps.deferred.run('email_change', () => sendHolderLink(this.deps.mail, to, 'email_change', issued, '').then(() => {}));
  }

  async apply(em: EntityManager, token: string, address: string): Promise<{ email: string }> {
    const changed = await em.transactional(async (tem) => {
      const link = await useEmailLink(tem, this.deps, token, 'email_change', address);
      const userId = link.userId!;
      const newEmail = link.newEmail!;
      const now = new Date();
      const [before] = await tem.execute<{ email: string }[]>('select email from users where id = ? for update', [userId]);
      try {
        await tem.execute('update users set email = ?, email_verified_at = ? where id = ?', [newEmail, now, userId]);
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException)) throw err;
        throw new AppError('conflict', 'this address already signs in to MassiveSMS; it cannot be a second sign-in');
      }
      await tem.execute(
        `update email_links set revoked_at = ? where user_id = ? and purpose in ('password_reset', 'email_change') and used_at is null and revoked_at is null`,
        [now, userId],
      );
      await appendAudit(tem, {
        actorType: 'user',
        actorId: userId,
        action: 'holder.email_changed',
        targetType: 'user',
        targetId: userId,
        details: { linkId: link.id },
      });
      return { userId, oldEmail: before!.email, newEmail, at: now, linkId: link.id };
    });
    await sendHolderNotice(
      this.deps.mail,
      changed.oldEmail,
      emailChangedNotice({ at: changed.at }),
      'email_changed',
      `email-changed:${changed.linkId}`,
    );
    return { email: changed.newEmail };
  }
}
