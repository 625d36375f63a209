import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../../db/entities/user';
import { dummyArgon2Hash, verifySecret, type SecretVerifier } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizeEmail } from '../accounts';
import type { SessionActor } from '../actor';
import { requireActiveAccount } from '../account-lock';
import { appendAudit } from '../audit-log';
import { SUBJECT_FAILURES_ALERT, type AuthLimits } from './auth-limits';
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
  ) {}

  async create(em: EntityManager, input: SessionInput, address: string) {
    const email = normalizeEmail(input.email);
    const subject = `email:${email}`;
    await this.limits.checkSignIn(address, subject);
    const user = await em.findOne(
      User,
      { email, ...(input.accountId ? { accountId: input.accountId } : {}) },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
    );
    const matches = await this.verify(user?.passwordHash ?? (await dummyArgon2Hash()), input.password);
    if (!user || !matches) {
      if ((await this.limits.chargeSignIn(address, subject)) && user) {
        await this.alerts.raise(em, {
          kind: 'sign_in_failures',
          userId: user.id,
          accountId: user.accountId,
          failures: SUBJECT_FAILURES_ALERT.points,
          windowMinutes: SUBJECT_FAILURES_ALERT.durationSeconds / 60,
          at: new Date(),
        });
      }
      throw new AppError('unauthorized', 'the email or password is wrong');
    }
    await this.limits.signedIn(address, subject);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = uuidv7(now.getTime());
    await em.transactional(async (tem) => {
      // A terminated account's keys are revoked; a session would let its holder make new ones. The
      // account row's share lock is the one termination waits for (it takes the update lock).
      await requireActiveAccount(tem, user.accountId, 'it can no longer be signed in to');
      await tem.execute('delete from sessions where expires_at < ?', [now]);
      await tem.execute('insert into sessions (id, account_id, user_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?, ?)', [
        id,
        user.accountId,
        user.id,
        tokenDigest(token),
        now,
        expiresAt,
      ]);
      await appendAudit(tem, {
        actorType: 'user',
        actorId: user.id,
        accountId: user.accountId,
        action: 'session.created',
        targetType: 'session',
        targetId: id,
      });
    });
    return { token, accountId: user.accountId, expiresAt: expiresAt.toISOString() };
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
