import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { dummyArgon2Hash, verifySecret, type SecretVerifier } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { normalizeEmail } from '../accounts';
import type { StaffActor } from '../actor';
import { auditByStaff } from '../audit-log';
import { SUBJECT_FAILURES_ALERT, TOTP_FAILURES, type AuthLimits } from '../auth/auth-limits';
import type { SecurityAlerts } from '../auth/security-alerts';
import type { StaffRole } from './staff-roles';
import { findLiveStaffSession, insertStaffSession, revokeStaffSession } from './staff-session-store';
import { consumeTotpStep, findStaffUserByEmail, type StaffUserRow } from './staff-user-store';
import { openTotpSecret } from './totp-secret';
import { matchingTotpStep, newTotpSecret } from './totp';

export const STAFF_TOKEN_PREFIX = 'mst_';
/** A staff token lives one working day at most; logging out revokes it at once. */
export const STAFF_SESSION_TTL_MS = 12 * 60 * 60_000;
const TOKEN_RE = /^mst_[A-Za-z0-9_-]{43}$/;
/** One answer for every failed sign-in, so the body does not tell which factor was wrong or whether the email exists. */
const SIGN_IN_REFUSED = 'the email, password or code is wrong';
const TOKEN_REFUSED = 'the staff token is unknown, expired or revoked; log in again with POST /staff/v1/sessions';
/** Stands in for the user id when the email is unknown: the statement runs and matches nothing. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

export const isStaffToken = (token: string) => token.startsWith(STAFF_TOKEN_PREFIX);

/** 256 random bits, so a plain SHA-256 is enough to store; only the digest is kept. */
const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

export interface StaffSignIn {
  email: string;
  password: string;
  /** The 6-digit TOTP code the authenticator app shows now. */
  code: string;
}

export interface StaffSessionOptions {
  verify?: SecretVerifier;
  /** Tests move time: TOTP steps and the 12-hour expiry are read from it. */
  clock?: () => number;
}

/**
 * Staff sign-in with two factors (argon2id password, RFC 6238 TOTP code accepted once) and the
 * staff tokens it issues. An address that failed too often (in all, or at this email) is refused
 * first; every other attempt costs exactly one argon2 verification (a dummy hash stands in for an
 * unknown email), one TOTP check (a throwaway secret stands in) and one update statement, whatever
 * turns out to be wrong. Strangers' failures never refuse the correct password and code from another
 * address (they alert security staff); wrong codes after a correct password are limited per user.
 */
export class StaffSessionService {
  private readonly verify: SecretVerifier;
  private readonly clock: () => number;
  private readonly standInSecret = newTotpSecret();

  constructor(
    private readonly limits: AuthLimits,
    private readonly alerts: SecurityAlerts,
    private readonly staffTotpKey: Buffer,
    options: StaffSessionOptions = {},
  ) {
    this.verify = options.verify ?? verifySecret;
    this.clock = options.clock ?? Date.now;
  }

  async create(
    em: EntityManager,
    input: StaffSignIn,
    address: string,
  ): Promise<{ token: string; expiresAt: string; staffUser: { id: string; role: StaffRole } }> {
    const email = normalizeEmail(input.email);
    const subject = `staff:${email}`;
    await this.limits.checkSignIn(address, subject);
    const nowMs = this.clock();
    const user = await findStaffUserByEmail(em, email);
    const passwordMatches = await this.verify(user?.passwordHash ?? (await dummyArgon2Hash()), input.password);
    // Only whoever knows the password sees this 429, so it tells a stranger nothing.
    if (user && passwordMatches) await this.limits.checkTotp(user.id);
    // A user who has not enrolled (or was reset) has no factors yet: the stand-ins run, and sign-in is refused.
    const secret = user?.totpSecret ? openTotpSecret(this.staffTotpKey, user.id, user.totpSecret) : this.standInSecret;
    const step = matchingTotpStep(secret, input.code, nowMs);
    const enrolled = user !== null && user.passwordHash !== null;
    const eligible = enrolled && user.disabledAt === null && passwordMatches && step !== null;
    const now = new Date(nowMs);
    const token = `${STAFF_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(nowMs + STAFF_SESSION_TTL_MS);
    const sessionId = uuidv7(nowMs);
    const opened = await em.transactional(async (tem) => {
      // Also refuses a replayed code: its step is not later than the last one accepted.
      if (!(await consumeTotpStep(tem, user?.id ?? NO_USER, step ?? 0, eligible))) return false;
      await insertStaffSession(tem, { id: sessionId, staffUserId: user!.id, tokenHash: tokenDigest(token), createdAt: now, expiresAt });
      await auditByStaff(tem, { staffUserId: user!.id, staffSessionId: sessionId, role: user!.role }, 'staff_session.created', {
        type: 'staff_session',
        id: sessionId,
      });
      return true;
    });
    if (!opened) {
      await this.charge(em, user, passwordMatches, address, subject, now);
      throw new AppError('unauthorized', SIGN_IN_REFUSED);
    }
    await this.limits.signedIn(address, subject);
    return { token, expiresAt: expiresAt.toISOString(), staffUser: { id: user!.id, role: user!.role } };
  }

  /**
   * A failed sign-in costs the address and the address at this email; with the right password it
   * was the code, which also costs the user's TOTP budget. Reaching a budget alerts security staff.
   */
  private async charge(em: EntityManager, user: StaffUserRow | null, passwordMatches: boolean, address: string, subject: string, at: Date) {
    const subjectAlert = await this.limits.chargeSignIn(address, subject);
    const totpAlert = user !== null && passwordMatches && (await this.limits.chargeTotp(user.id));
    if (!user) return;
    if (subjectAlert) {
      const { points, durationSeconds } = SUBJECT_FAILURES_ALERT;
      await this.alerts.raise(em, {
        kind: 'staff_sign_in_failures',
        userId: user.id,
        accountId: null,
        failures: points,
        windowMinutes: durationSeconds / 60,
        at,
      });
    }
    if (totpAlert) {
      const { points, durationSeconds } = TOTP_FAILURES;
      await this.alerts.raise(em, {
        kind: 'totp_failures',
        userId: user.id,
        accountId: null,
        failures: points,
        windowMinutes: durationSeconds / 60,
        at,
      });
    }
  }

  /** A live token is always accepted (one indexed lookup); only a bad one is charged to the address. */
  async authenticate(em: EntityManager, token: string, address: string): Promise<StaffActor> {
    const session = TOKEN_RE.test(token) ? await findLiveStaffSession(em, tokenDigest(token), new Date(this.clock())) : null;
    if (!session) {
      await this.limits.chargeBadToken(address);
      throw new AppError('unauthorized', TOKEN_REFUSED);
    }
    return { staffUserId: session.staffUserId, role: session.role, staffSessionId: session.id };
  }

  /** Logs out: the token stops working at once. */
  async revoke(em: EntityManager, actor: StaffActor): Promise<void> {
    await em.transactional(async (tem) => {
      if (await revokeStaffSession(tem, actor.staffSessionId, new Date(this.clock()))) {
        await auditByStaff(tem, actor, 'staff_session.revoked', { type: 'staff_session', id: actor.staffSessionId });
      }
    });
  }
}
