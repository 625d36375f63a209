import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRole } from '../../db/entities/account-membership';
import { hashSecret } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizeEmail } from '../accounts';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';
import type { EmailLinkRow, EmailLinks } from './email-links';
import { sendHolderLink, type HolderMailDeps } from './holder-mail';
import type { HolderActor } from './holder-sessions';
import { markVerified } from './holder-verification';
import { useEmailLink } from './link-use';

export interface InvitationView {
  id: string;
  email: string;
  role: MembershipRole;
  createdAt: string;
  expiresAt: string;
}

interface OpenInvitation {
  id: string;
  account_id: string;
  email: string;
  role: MembershipRole;
}

const SIGN_IN_FIRST = 'this email already has a MassiveSMS sign-in: sign in and accept with POST /v1/account/invitation-acceptances';

/** Only an owner makes (or invites) an owner: an admin cannot raise anyone, themself included, above admin. */
export function requireMayGrant(actor: HolderActor, role: MembershipRole): void {
  if (role === 'owner' && actor.role !== 'owner')
    throw new AppError('forbidden', 'only an owner can grant the owner role or change or remove an owner');
}

/**
 * Invitations by email (account_invitations, each with an emailed link, EMAIL_LINK_TTL_MS.invitation).
 * The invitee accepts with the link: an email without a sign-in sets its password there and is
 * verified by the link itself; an email that already signs in must be signed in (its own cookie) to
 * accept, so a forwarded link cannot join someone else's identity. A rolled-back acceptance leaves the
 * link unused.
 */
export class Invitations {
  constructor(private readonly deps: { links: EmailLinks; limits: AuthLimits; mail: HolderMailDeps }) {}

  async invite(em: EntityManager, actor: HolderActor, input: { email: string; role: MembershipRole }): Promise<InvitationView> {
    requireMayGrant(actor, input.role);
    const email = normalizeEmail(input.email);
    const made = await em.transactional(async (tem) => {
      const [member] = await tem.execute<{ user_id: string }[]>(
        `select m.user_id from account_memberships m join users u on u.id = m.user_id where m.account_id = ? and lower(u.email) = ?`,
        [actor.accountId, email],
      );
      if (member) throw new AppError('conflict', 'this email is already a member of the account');
      const [identity] = await tem.execute<{ id: string }[]>('select id from users where lower(email) = ?', [email]);
      const replaced = await tem.execute<{ link_id: string }[]>(
        `update account_invitations set revoked_at = ? where account_id = ? and email = ? and accepted_at is null and revoked_at is null
         returning link_id`,
        [new Date(), actor.accountId, email],
      );
      if (replaced.length > 0) {
        await tem.execute('update email_links set revoked_at = now() where id = any(?::uuid[]) and used_at is null', [
          `{${replaced.map((r) => r.link_id).join(',')}}`,
        ]);
      }
      const link = await this.deps.links.issue(tem, {
        purpose: 'invitation',
        userId: identity?.id ?? null,
        accountId: actor.accountId,
        rateKey: email,
      });
      const id = uuidv7();
      const now = link.createdAt;
      await tem.execute(
        `insert into account_invitations (id, account_id, email, role, invited_by, link_id, created_at) values (?, ?, ?, ?, ?, ?, ?)`,
        [id, actor.accountId, email, input.role, actor.userId, link.id, now],
      );
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'member.invited',
        targetType: 'invitation',
        targetId: id,
        details: { role: input.role },
      });
      const [account] = await tem.execute<{ name: string }[]>('select name from accounts where id = ?', [actor.accountId]);
      return {
        view: { id, email, role: input.role, createdAt: now.toISOString(), expiresAt: link.expiresAt.toISOString() },
        link,
        name: account!.name,
      };
    });
    await sendHolderLink(this.deps.mail, email, 'invitation', made.link, made.name);
    return made.view;
  }

  /** Withdraws an open invitation of the actor's account (its link stops working): 404 for any other. */
  async revoke(em: EntityManager, actor: HolderActor, id: string): Promise<void> {
    await em.transactional(async (tem) => {
      const [row] = await tem.execute<{ link_id: string; role: MembershipRole }[]>(
        `update account_invitations set revoked_at = ? where id = ? and account_id = ? and accepted_at is null and revoked_at is null
         returning link_id, role`,
        [new Date(), id, actor.accountId],
      );
      if (!row) throw AppError.notFound('invitation');
      requireMayGrant(actor, row.role);
      await tem.execute('update email_links set revoked_at = now() where id = ? and used_at is null', [row.link_id]);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'member.invitation_revoked',
        targetType: 'invitation',
        targetId: id,
      });
    });
  }

  /** Accepts as a new sign-in: the email has none, the password is set here, and the link proves the mailbox. */
  async acceptAsNew(em: EntityManager, input: { token: string; password: string }, address: string) {
    return em.transactional(async (tem) => {
      const { link, invitation } = await this.openInvitation(tem, input.token, address);
      const [identity] = await tem.execute('select 1 from users where lower(email) = ?', [invitation.email]);
      if (identity) throw new AppError('conflict', SIGN_IN_FIRST);
      const now = new Date();
      const passwordHash = await hashSecret(input.password);
      let userId: string;
      try {
        const [created] = await tem.execute<{ id: string }[]>(
          `insert into users (id, email, password_hash, created_at, email_verified_at) values (?, ?, ?, ?, ?) returning id`,
          [uuidv7(now.getTime()), invitation.email, passwordHash, now, now],
        );
        userId = created!.id;
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) throw new AppError('conflict', SIGN_IN_FIRST);
        throw err;
      }
      return this.join(tem, invitation, link, userId, now);
    });
  }

  /** Accepts as the signed-in holder, whose sign-in email must be the one invited. */
  async acceptSignedIn(em: EntityManager, actor: HolderActor, token: string, address: string) {
    return em.transactional(async (tem) => {
      const { link, invitation } = await this.openInvitation(tem, token, address);
      const [me] = await tem.execute<{ email: string }[]>('select email from users where id = ?', [actor.userId]);
      if (me?.email !== invitation.email) throw new AppError('forbidden', 'this invitation is for another email address');
      const [already] = await tem.execute('select 1 from account_memberships where user_id = ? and account_id = ?', [
        actor.userId,
        invitation.account_id,
      ]);
      if (already) throw new AppError('conflict', 'you are already a member of this account');
      return this.join(tem, invitation, link, actor.userId, new Date());
    });
  }

  private async openInvitation(em: EntityManager, token: string, address: string) {
    const link = await useEmailLink(em, this.deps, token, 'invitation', address);
    const [invitation] = await em.execute<OpenInvitation[]>(
      `select i.id, i.account_id, i.email, i.role from account_invitations i join accounts a on a.id = i.account_id and a.status = 'active'
        where i.link_id = ? and i.accepted_at is null and i.revoked_at is null for update of i`,
      [link.id],
    );
    if (!invitation) throw new AppError('unauthorized', 'the invitation was withdrawn or the account is closed');
    return { link, invitation };
  }

  private async join(em: EntityManager, invitation: OpenInvitation, link: EmailLinkRow, userId: string, now: Date) {
    await em.execute(`insert into account_memberships (user_id, account_id, role, created_at) values (?, ?, ?, ?)`, [
      userId,
      invitation.account_id,
      invitation.role,
      now,
    ]);
    await markVerified(em, { userId, accountId: invitation.account_id }, now);
    await em.execute('update account_invitations set accepted_at = ? where id = ?', [now, invitation.id]);
    await appendAudit(em, {
      actorType: 'user',
      actorId: userId,
      accountId: invitation.account_id,
      action: 'member.joined',
      targetType: 'invitation',
      targetId: invitation.id,
      details: { role: invitation.role, linkId: link.id },
    });
    return { accountId: invitation.account_id, role: invitation.role };
  }
}
