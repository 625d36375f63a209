import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRole } from '../../db/entities/account-membership';
import type { ApiKeyScope } from '../../db/entities/api-key';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';

/** The cookie's name: `__Host-` pins it to our origin (Secure, Path=/, no Domain); loopback dev over http drops the prefix, which browsers require Secure for. */
export const HOLDER_COOKIE_SECURE = '__Host-mss_session';
export const HOLDER_COOKIE_LOOPBACK = 'mss_session';
export const HOLDER_SESSION_IDLE_MS = 12 * 60 * 60_000;
export const HOLDER_SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60_000;
const TOKEN_RE = /^mhs_[A-Za-z0-9_-]{43}$/;

/** What a holder's membership role may do through their session, in API-key scopes: owner and admin have the account's admin rights. */
export const ROLE_SCOPES: Readonly<Record<MembershipRole, readonly ApiKeyScope[]>> = {
  owner: ['read', 'write', 'admin'],
  admin: ['read', 'write', 'admin'],
  developer: ['read', 'write'],
  billing: ['read'],
};

/** A holder signed in through the cookie: who, in which account, as what. */
export interface HolderActor {
  userId: string;
  accountId: string;
  sessionId: string;
  role: MembershipRole;
  /** Set when this request rotated the session (the role changed since it was opened): the new cookie's token. */
  rotatedToken?: string;
}

const tokenDigest = (token: string) => createHash('sha256').update(token).digest();
const newToken = () => `mhs_${randomBytes(32).toString('base64url')}`;

/** Why a session's token was replaced while the holder stays signed in. */
export type RotationReason = 'account_switched' | 'password_changed' | 'role_changed';

/** The client address as shown to its holder: an IPv4 /24 or an IPv6 /48, never the host. */
export function addressPrefix(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+)\.\d+$/i.exec(address);
  if (mapped) return `${mapped[1]}.0/24`;
  const kind = isIP(address);
  if (kind === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (kind === 6) {
    const [head] = address.split('::');
    const groups = (head ?? '').split(':').filter(Boolean).slice(0, 3);
    while (groups.length < 3) groups.push('0');
    return `${groups.join(':')}::/48`;
  }
  return null;
}

/** A user agent's family only ("Firefox", "Chrome", "curl"): enough to recognise a session, not to fingerprint. */
export function userAgentFamily(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  for (const [family, re] of [
    ['Edge', /Edg\//],
    ['Opera', /OPR\//],
    ['Firefox', /Firefox\//],
    ['Chrome', /Chrome\//],
    ['Safari', /Safari\//],
    ['curl', /^curl\//],
  ] as const) {
    if (re.test(ua)) return family;
  }
  return ua ? 'Other' : 'Unknown';
}

export interface SessionListItem {
  id: string;
  accountId: string;
  kind: 'cookie' | 'token';
  createdAt: string;
  lastSeenAt: string | null;
  expiresAt: string;
  userAgentFamily: string | null;
  addressPrefix: string | null;
  current: boolean;
}

/**
 * Cookie sessions of account holders: a 256-bit token (only its SHA-256 stored), 12 hours from the
 * last use and 7 days at most. A new token on every sign-in and every change of account or role
 * (the old one is deleted), so a token planted before sign-in is worth nothing after it. Each use
 * reads the membership as it is now: a removed member's session stops at once, a changed role applies at once.
 */
export class HolderSessions {
  constructor(
    private readonly limits: AuthLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  async open(
    em: EntityManager,
    input: {
      userId: string;
      accountId: string;
      role: MembershipRole;
      userAgent: string | undefined;
      address: string;
      replaces?: string;
      reason?: RotationReason;
    },
    options: { audit: boolean } = { audit: true },
  ): Promise<{ token: string; id: string; expiresAt: Date }> {
    const now = new Date(this.clock());
    const token = newToken();
    const id = uuidv7(now.getTime());
    const expiresAt = new Date(now.getTime() + HOLDER_SESSION_IDLE_MS);
    const absolute = new Date(now.getTime() + HOLDER_SESSION_ABSOLUTE_MS);
    if (input.replaces) await em.execute('delete from sessions where id = ? and user_id = ?', [input.replaces, input.userId]);
    await em.execute(
      `insert into sessions (id, account_id, user_id, token_hash, created_at, expires_at, kind, role, last_seen_at, absolute_expires_at,
                             user_agent_family, address_prefix)
       values (?, ?, ?, ?, ?, ?, 'cookie', ?, ?, ?, ?, ?)`,
      [
        id,
        input.accountId,
        input.userId,
        tokenDigest(token),
        now,
        expiresAt,
        input.role,
        now,
        absolute,
        userAgentFamily(input.userAgent),
        addressPrefix(input.address),
      ],
    );
    if (!options.audit) return { token, id, expiresAt };
    await appendAudit(em, {
      actorType: 'user',
      actorId: input.userId,
      accountId: input.accountId,
      action: 'session.created',
      targetType: 'session',
      targetId: id,
      details: {
        kind: 'cookie',
        role: input.role,
        ...(input.replaces ? { replaces: input.replaces } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
      },
    });
    return { token, id, expiresAt };
  }

  /**
   * Replaces the actor's session with a new one (new token, new id; the old row is deleted in the
   * same transaction), in the same account or in `target`: the caller sets the new cookie.
   */
  rotate(
    em: EntityManager,
    actor: HolderActor,
    client: { address: string; userAgent: string | undefined },
    reason: RotationReason,
    target: { accountId: string; role: MembershipRole } = actor,
  ): Promise<{ token: string; id: string; expiresAt: Date }> {
    return this.open(em, {
      userId: actor.userId,
      accountId: target.accountId,
      role: target.role,
      userAgent: client.userAgent,
      address: client.address,
      replaces: actor.sessionId,
      reason,
    });
  }

  /**
   * One statement finds the live session, slides its idle expiry and reads the membership as it is
   * now; a bad token is charged to the address. When the role differs from the one the session was
   * opened with (a privilege change), the token is rotated here: `rotatedToken` goes into the
   * answer's cookie and the old token stops working.
   */
  async authenticate(em: EntityManager, token: string, address: string): Promise<HolderActor> {
    const now = new Date(this.clock());
    const [row] = TOKEN_RE.test(token)
      ? await em.execute<{ id: string; account_id: string; user_id: string; role: MembershipRole; session_role: MembershipRole | null }[]>(
          `update sessions s set last_seen_at = ?, expires_at = least(?::timestamptz, s.absolute_expires_at)
             from account_memberships m, accounts a
            where s.token_hash = ? and s.kind = 'cookie' and s.expires_at > ? and s.absolute_expires_at > ?
              and m.user_id = s.user_id and m.account_id = s.account_id and a.id = s.account_id and a.status = 'active'
           returning s.id, s.account_id, s.user_id, m.role, s.role as session_role`,
          [now, new Date(now.getTime() + HOLDER_SESSION_IDLE_MS), tokenDigest(token), now, now],
        )
      : [];
    if (!row) {
      await this.limits.chargeBadToken(address);
      throw new AppError('unauthorized', 'the session is unknown, revoked or expired; sign in again with POST /v1/sessions');
    }
    const actor: HolderActor = { userId: row.user_id, accountId: row.account_id, sessionId: row.id, role: row.role };
    if (row.session_role === row.role) return actor;
    const rotated = newToken();
    const [kept] = await em.execute<{ id: string }[]>(
      'update sessions set token_hash = ?, role = ? where id = ? and token_hash = ? returning id',
      [tokenDigest(rotated), row.role, row.id, tokenDigest(token)],
    );
    if (!kept) throw new AppError('unauthorized', 'the session is unknown, revoked or expired; sign in again with POST /v1/sessions');
    await this.audit(em, actor, 'session.rotated', row.id, { reason: 'role_changed', from: row.session_role, to: row.role });
    return { ...actor, rotatedToken: rotated };
  }

  /** The holder's own sessions (every account, both kinds), newest first; never anyone else's. */
  async list(em: EntityManager, actor: HolderActor): Promise<{ data: SessionListItem[] }> {
    const now = new Date(this.clock());
    const rows = await em.execute<
      {
        id: string;
        account_id: string;
        kind: 'cookie' | 'token';
        created_at: Date;
        last_seen_at: Date | null;
        expires_at: Date;
        user_agent_family: string | null;
        address_prefix: string | null;
      }[]
    >(
      `select id, account_id, kind, created_at, last_seen_at, expires_at, user_agent_family, address_prefix
         from sessions where user_id = ? and expires_at > ? order by created_at desc, id desc limit 200`,
      [actor.userId, now],
    );
    return {
      data: rows.map((r) => ({
        id: r.id,
        accountId: r.account_id,
        kind: r.kind,
        createdAt: new Date(r.created_at).toISOString(),
        lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at).toISOString() : null,
        expiresAt: new Date(r.expires_at).toISOString(),
        userAgentFamily: r.user_agent_family,
        addressPrefix: r.address_prefix,
        current: r.id === actor.sessionId,
      })),
    };
  }

  /** Ends one of the holder's own sessions at once: 404 for any id that is not theirs. */
  async revoke(em: EntityManager, actor: HolderActor, id: string): Promise<void> {
    const rows = await em.execute<{ id: string }[]>('delete from sessions where id = ? and user_id = ? returning id', [id, actor.userId]);
    if (rows.length === 0) throw AppError.notFound('session');
    await this.audit(em, actor, 'session.revoked', id);
  }

  /** Ends every session of the holder (this one too); how many. */
  async revokeAll(em: EntityManager, actor: HolderActor): Promise<number> {
    const rows = await em.execute<{ id: string }[]>('delete from sessions where user_id = ? returning id', [actor.userId]);
    await this.audit(em, actor, 'session.revoked_all', actor.userId, { sessions: rows.length });
    return rows.length;
  }

  private audit(em: EntityManager, actor: HolderActor, action: string, targetId: string, details?: Record<string, unknown>) {
    return appendAudit(em, {
      actorType: 'user',
      actorId: actor.userId,
      accountId: actor.accountId,
      action,
      targetType: 'session',
      targetId,
      details: { sessionId: actor.sessionId, ...details },
    });
  }
}
