import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRole } from '../../db/entities/account-membership';
import { User } from '../../db/entities/user';
import { dummyArgon2Hash, verifySecret, type SecretVerifier } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizeEmail } from '../accounts';
import type { SessionActor } from '../actor';
import { requireActiveAccount } from '../account-lock';
import { appendAudit } from '../audit-log';
import { SUBJECT_FAILURES_ALERT, type AuthLimits } from './auth-limits';
import type { HolderSessions } from '../holders/holder-sessions';
import type { SecurityAlerts } from './security-alerts';

export const SESSION_TOKEN_PREFIX = 'mss_';
export const SESSION_TTL_MS = 15 * 60_000;
const TOKEN_RE = /^mss_[A-Za-z0-9_-]{43}$/;

export interface SessionInput {
  email: string;
  password: string;
  /** Which account, when one email owns several; without it, the newest account of the email. */
  accountId?: string;
}

/**
 * The account a sign-in opens: the one asked for if the identity belongs to it, else the identity's
 * newest membership. Null when it belongs to none (or not to the one asked for): answered like a wrong password.
 */
async function chosenMembership(em: EntityManager, userId: string, accountId: string | undefined) {
  const [row] = await em.execute<{ account_id: string; role: MembershipRole }[]>(
    `select account_id, role from account_memberships where user_id = ? ${accountId ? 'and account_id = ?' : ''}
      order by created_at desc, account_id desc limit 1`,
    accountId ? [userId, accountId] : [userId],
  );
  return row ? { accountId: row.account_id, role: row.role } : null;
}

/** How the holder proved who they are (the audit entry and the analytics event say it). */
export type SignInMethod = 'password' | 'google';

export const isSessionToken = (token: string) => token.startsWith(SESSION_TOKEN_PREFIX);

/** The token is 256 random bits, so a plain SHA-256 is enough to store it; only the digest is kept. */
const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

/**
 * The account holder's way back in when no admin key is left: email and password give a
 * short-lived token that can only manage API keys. An attempt from an address that failed too often
 * (in all, or at this email) is refused before it costs anything; every other attempt costs exactly
 * one argon2 verification whether or not the email exists. Failures never refuse the owner's correct
 * password from another address: the email's failures from everywhere only alert security staff.
 */
export class SessionService {
  constructor(
    private readonly limits: AuthLimits,
    private readonly alerts: SecurityAlerts,
    private readonly verify: SecretVerifier = verifySecret,
    /** Told of each successful sign-in, after its commit (product analytics). */
    private readonly onSignedIn: (userId: string, method: SignInMethod) => void = () => {},
  ) {}

  /**
   * Signs in: the 15-minute key-management token (in the answer) and, with `cookie`, a fresh holder
   * cookie session (its token goes only into Set-Cookie). The answer lists the identity's accounts,
   * so a holder of several can sign in again naming another.
   */
  async create(
    em: EntityManager,
    input: SessionInput,
    address: string,
    cookie?: { sessions: HolderSessions; userAgent: string | undefined },
  ) {
    const email = normalizeEmail(input.email);
    const subject = `email:${email}`;
    await this.limits.checkSignIn(address, subject);
    const user = await em.findOne(User, { email });
    const matches = await this.verify(user?.passwordHash ?? (await dummyArgon2Hash()), input.password);
    const membership = user && matches ? await chosenMembership(em, user.id, input.accountId) : null;
    if (!user || !matches || !membership) {
      if ((await this.limits.chargeSignIn(address, subject)) && user) {
        await this.alerts.raise(em, {
          kind: 'sign_in_failures',
          userId: user.id,
          accountId: (await chosenMembership(em, user.id, undefined))?.accountId ?? null,
          failures: SUBJECT_FAILURES_ALERT.points,
          windowMinutes: SUBJECT_FAILURES_ALERT.durationSeconds / 60,
          at: new Date(),
        });
      }
      throw new AppError('unauthorized', 'the email or password is wrong');
    }
    await this.limits.signedIn(address, subject);
    return this.open(em, user.id, membership, address, cookie, 'password');
  }

  /**
   * Signs in an identity proven another way (Google): the same sessions and answer as a password
   * sign-in, into the identity's newest account; 401 when it belongs to no account.
   */
  async signInProven(
    em: EntityManager,
    userId: string,
    address: string,
    cookie: { sessions: HolderSessions; userAgent: string | undefined },
    method: SignInMethod,
  ) {
    const membership = await chosenMembership(em, userId, undefined);
    if (!membership) throw new AppError('unauthorized', 'this identity belongs to no account any more');
    return this.open(em, userId, membership, address, cookie, method);
  }

  private async open(
    em: EntityManager,
    userId: string,
    membership: { accountId: string; role: MembershipRole },
    address: string,
    cookie: { sessions: HolderSessions; userAgent: string | undefined } | undefined,
    method: SignInMethod,
  ) {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = uuidv7(now.getTime());
    const opened = await em.transactional(async (tem) => {
      // A terminated account's keys are revoked; a session would let its holder make new ones. The
      // account row's share lock is the one termination waits for (it takes the update lock).
      await requireActiveAccount(tem, membership.accountId, 'it can no longer be signed in to');
      await tem.execute('delete from sessions where expires_at < ?', [now]);
      await tem.execute('insert into sessions (id, account_id, user_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?, ?)', [
        id,
        membership.accountId,
        userId,
        tokenDigest(token),
        now,
        expiresAt,
      ]);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: userId,
        accountId: membership.accountId,
        action: 'session.created',
        targetType: 'session',
        targetId: id,
        details: { method },
      });
      return cookie ? cookie.sessions.open(tem, { userId, ...membership, userAgent: cookie.userAgent, address }, { audit: false }) : null;
    });
    this.onSignedIn(userId, method);
    const accounts = await em.execute<{ id: string; name: string; role: MembershipRole }[]>(
      `select a.id, a.name, m.role from account_memberships m join accounts a on a.id = m.account_id and a.status = 'active'
        where m.user_id = ? order by m.created_at desc, a.id desc limit 100`,
      [userId],
    );
    return {
      body: { token, accountId: membership.accountId, expiresAt: expiresAt.toISOString(), role: membership.role, accounts },
      cookie: opened,
    };
  }

  /** A live token is always accepted (one indexed lookup); only a bad one is charged to the address. */
  async authenticate(em: EntityManager, token: string, address: string): Promise<SessionActor> {
    const [row] = TOKEN_RE.test(token)
      ? await em.execute<{ id: string; account_id: string; user_id: string }[]>(
          `select s.id, s.account_id, s.user_id from sessions s join accounts a on a.id = s.account_id and a.status = 'active'
            where s.token_hash = ? and s.expires_at > ?`,
          [tokenDigest(token), new Date()],
        )
      : [];
    if (!row) {
      await this.limits.chargeBadToken(address);
      throw new AppError('unauthorized', 'the session token is unknown or expired; sign in again with POST /v1/sessions');
    }
    return { accountId: row.account_id, userId: row.user_id, sessionId: row.id };
  }
}
