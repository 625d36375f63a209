import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { appendAudit } from '../audit-log';
import type { OidcIdentity } from './google-oidc';

/** A pending link's lifetime: long enough to type the password, no longer. */
export const PENDING_LINK_TTL_MS = 15 * 60_000;
export const PENDING_LINK_TOKEN_PATTERN = /^msl_[A-Za-z0-9_-]{43}$/;
const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

export interface PendingLink {
  id: string;
  userId: string;
  email: string;
  passwordHash: string | null;
  issuer: string;
  subject: string;
}

/** The (issuer, subject) pairs linked to holders, and the links waiting for the holder's password. */
export const googleIdentities = {
  /** The holder an identity is linked to (its last sign-in noted), or null. */
  async signIn(em: EntityManager, identity: OidcIdentity, now: Date): Promise<string | null> {
    const [row] = await em.execute<{ user_id: string }[]>(
      'update holder_oidc_identities set last_sign_in_at = ? where issuer = ? and subject = ? returning user_id',
      [now, identity.issuer, identity.subject],
    );
    return row?.user_id ?? null;
  },

  /** Links the identity to the holder; 409 when it is someone else's or the holder already has one at this issuer. */
  async link(
    em: EntityManager,
    userId: string,
    identity: Pick<OidcIdentity, 'issuer' | 'subject'>,
    how: 'sign_up' | 'password',
    now: Date,
  ) {
    const linked = await em.execute<{ user_id: string }[]>(
      `insert into holder_oidc_identities (issuer, subject, user_id, created_at, last_sign_in_at) values (?, ?, ?, ?, ?)
       on conflict do nothing returning user_id`,
      [identity.issuer, identity.subject, userId, now, now],
    );
    if (linked.length === 0) throw new AppError('conflict', 'this Google identity, or another one, is already linked to the holder');
    await appendAudit(em, {
      actorType: 'user',
      actorId: userId,
      action: 'holder.google_linked',
      targetType: 'user',
      targetId: userId,
      details: { how },
    });
  },

  /** Removes the holder's Google identity; 404 when there is none, 409 when the holder would be left with no way to sign in. */
  async unlink(em: EntityManager, userId: string, accountId: string): Promise<void> {
    await em.transactional(async (tem) => {
      const [user] = await tem.execute<{ has_password: boolean }[]>(
        'select password_hash is not null as has_password from users where id = ? for update',
        [userId],
      );
      const gone = await tem.execute<{ issuer: string }[]>('delete from holder_oidc_identities where user_id = ? returning issuer', [
        userId,
      ]);
      if (gone.length === 0) throw AppError.notFound('linked Google identity');
      if (!user?.has_password) {
        throw new AppError('conflict', 'this holder has no password: unlinking Google would leave no way to sign in; set a password first');
      }
      await appendAudit(tem, {
        actorType: 'user',
        actorId: userId,
        accountId,
        action: 'holder.google_unlinked',
        targetType: 'user',
        targetId: userId,
      });
    });
  },

  async openPendingLink(em: EntityManager, userId: string, identity: OidcIdentity, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const token = `msl_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + PENDING_LINK_TTL_MS);
    await em.execute(
      `insert into oidc_pending_links (id, token_hash, user_id, issuer, subject, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)`,
      [uuidv7(now.getTime()), tokenDigest(token), userId, identity.issuer, identity.subject, now, expiresAt],
    );
    return { token, expiresAt };
  },

  /** The open pending link of a token (not used, not expired), or null. */
  async findPendingLink(em: EntityManager, token: string, now: Date): Promise<PendingLink | null> {
    if (!PENDING_LINK_TOKEN_PATTERN.test(token)) return null;
    const [row] = await em.execute<
      { id: string; user_id: string; email: string; password_hash: string | null; issuer: string; subject: string }[]
    >(
      `select l.id, l.user_id, u.email, u.password_hash, l.issuer, l.subject from oidc_pending_links l join users u on u.id = l.user_id
        where l.token_hash = ? and l.used_at is null and l.expires_at > ?`,
      [tokenDigest(token), now],
    );
    return row
      ? { id: row.id, userId: row.user_id, email: row.email, passwordHash: row.password_hash, issuer: row.issuer, subject: row.subject }
      : null;
  },

  /** Uses the pending link once: false when another request used it first. */
  async usePendingLink(em: EntityManager, id: string, now: Date): Promise<boolean> {
    const used = await em.execute<{ id: string }[]>(
      'update oidc_pending_links set used_at = ? where id = ? and used_at is null returning id',
      [now, id],
    );
    return used.length === 1;
  },
};
