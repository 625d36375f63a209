import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashSecret } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { normalizeEmail } from '../accounts';
import { appendAudit, auditByStaff } from '../audit-log';
import { staffEnrolmentEmail } from '../email/templates/staff-enrolment';
import { consumeStaffEnrolment, insertStaffEnrolment, isStaffEnrolmentOpen, revokeStaffEnrolmentsOf } from './staff-enrolment-store';
import type { StaffRole } from './staff-roles';
import { revokeStaffSessionsOf } from './staff-session-store';
import { findStaffUser, findStaffUserByEmail, insertStaffUser, setStaffFactors, type StaffUserRow } from './staff-user-store';
import { toStaffUserView, type StaffUserCreator, type StaffUserView } from './staff-users-service';
import { sealTotpSecret } from './totp-secret';
import { newTotpSecret, otpauthUri } from './totp';

export const ENROLMENT_TOKEN_PREFIX = 'msn_';
/** Long enough for a weekend, short enough that an unread mailbox does not hold a live credential for long. */
export const STAFF_ENROLMENT_TTL_MS = 72 * 60 * 60_000;
/** What an enrolment token looks like (256 random bits): checked before any lookup. */
export const ENROLMENT_TOKEN_PATTERN = /^msn_[A-Za-z0-9_-]{43}$/;
const ENROLMENT_REFUSED = 'the enrolment token is unknown, used, expired or revoked; ask an admin to reset your enrolment';

const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

export interface IssuedEnrolment {
  id: string;
  /** Shown to nobody but the staff member: emailed, never stored (only its SHA-256), never returned by the API. */
  token: string;
  expiresAt: Date;
}

export interface StaffEnrolmentDeps {
  staffTotpKey: Buffer;
  /** Null when no email provider is configured: inviting and resetting are then refused (503). */
  email: EmailSender | null;
  /** PUBLIC_BASE_URL, named in the email. */
  apiBaseUrl: string;
  clock?: () => number;
  /** The password hash (argon2id); injectable so a test can count the costly calls. */
  hashPassword?: (password: string) => Promise<string>;
}

/**
 * Staff set their own factors. An admin (or the operator bootstrapping the first admin) creates a
 * user with a role and no password or TOTP secret; the user gets a one-time enrolment token by email
 * (72 hours, single use, only its SHA-256 stored) and with it chooses a password and receives their
 * otpauth:// URI. A reset clears both factors, revokes the user's sessions and open enrolments and
 * sends a new token. Every step is audited; the admin never sees either factor.
 */
export class StaffEnrolmentService {
  private readonly clock: () => number;

  constructor(private readonly deps: StaffEnrolmentDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Creates the user and emails the enrolment token; the answer holds neither factor nor the token. */
  async invite(em: EntityManager, input: { email: string; role: StaffRole }, by: StaffUserCreator) {
    const email = this.requireEmail();
    const { user, enrolment } = await this.createUser(em, input, by);
    await this.send(email, user.email, enrolment, false);
    return { ...user, enrolment: { expiresAt: enrolment.expiresAt.toISOString(), emailed: true as const } };
  }

  /** Clears the user's factors (sessions revoked) and emails a new enrolment token. */
  async reset(em: EntityManager, actor: StaffUserCreator, id: string) {
    if (!(await findStaffUser(em, id))) throw AppError.notFound('staff user');
    const email = this.requireEmail();
    const { user, enrolment } = await this.resetUser(em, actor, id);
    await this.send(email, user.email, enrolment, true);
    return { ...user, enrolment: { expiresAt: enrolment.expiresAt.toISOString(), emailed: true as const } };
  }

  /** The user row (no factors) and its first enrolment, in one transaction. The token goes to the caller: email it. */
  async createUser(
    em: EntityManager,
    input: { email: string; role: StaffRole },
    by: StaffUserCreator,
  ): Promise<{ user: StaffUserView; enrolment: IssuedEnrolment }> {
    const email = normalizeEmail(input.email);
    const now = new Date(this.clock());
    const row: StaffUserRow = {
      id: uuidv7(now.getTime()),
      email,
      role: input.role,
      passwordHash: null,
      totpSecret: null,
      createdAt: now,
      disabledAt: null,
    };
    const enrolment = await em.transactional(async (tem) => {
      if (await findStaffUserByEmail(tem, email)) throw new AppError('conflict', 'a staff user with this email already exists');
      await insertStaffUser(tem, row);
      const issued = await this.issue(tem, row.id, now);
      await this.audit(tem, by, 'staff_user.created', row.id, { role: row.role, enrolmentId: issued.id });
      return issued;
    });
    return { user: toStaffUserView(row), enrolment };
  }

  async resetUser(em: EntityManager, by: StaffUserCreator, id: string): Promise<{ user: StaffUserView; enrolment: IssuedEnrolment }> {
    const now = new Date(this.clock());
    return em.transactional(async (tem) => {
      const user = await findStaffUser(tem, id, { forUpdate: true });
      if (!user) throw AppError.notFound('staff user');
      if (user.disabledAt) throw new AppError('conflict', 'this staff user is disabled: a disabled user cannot enrol');
      await setStaffFactors(tem, id, null);
      const revokedSessions = await revokeStaffSessionsOf(tem, id, now);
      const revokedEnrolments = await revokeStaffEnrolmentsOf(tem, id, now);
      const issued = await this.issue(tem, id, now);
      await this.audit(tem, by, 'staff_user.enrolment_reset', id, { revokedSessions, revokedEnrolments, enrolmentId: issued.id });
      return { user: toStaffUserView(user), enrolment: issued };
    });
  }

  /** Uses a token once: sets the password the staff member chose and a fresh TOTP secret, shown to them only now. */
  async enrol(em: EntityManager, token: string, password: string): Promise<{ staffUser: StaffUserView; otpauthUri: string }> {
    if (!ENROLMENT_TOKEN_PATTERN.test(token)) throw new AppError('unauthorized', ENROLMENT_REFUSED);
    const now = new Date(this.clock());
    // A stranger's made-up token is refused before the costly password hash, so it cannot be used to
    // burn the API's CPU; the token is 256 random bits, so the quicker refusal reveals nothing.
    if (!(await isStaffEnrolmentOpen(em, tokenDigest(token), now))) throw new AppError('unauthorized', ENROLMENT_REFUSED);
    const passwordHash = await (this.deps.hashPassword ?? hashSecret)(password);
    const secret = newTotpSecret();
    const user = await em.transactional(async (tem) => {
      const enrolment = await consumeStaffEnrolment(tem, tokenDigest(token), now);
      if (!enrolment) return null;
      await setStaffFactors(tem, enrolment.staffUserId, {
        passwordHash,
        totpSecret: sealTotpSecret(this.deps.staffTotpKey, enrolment.staffUserId, secret),
      });
      await appendAudit(tem, {
        actorType: 'staff',
        actorId: enrolment.staffUserId,
        action: 'staff_user.enrolled',
        targetType: 'staff_user',
        targetId: enrolment.staffUserId,
        details: { enrolmentId: enrolment.id },
      });
      return findStaffUser(tem, enrolment.staffUserId);
    });
    if (!user) throw new AppError('unauthorized', ENROLMENT_REFUSED);
    return { staffUser: toStaffUserView(user), otpauthUri: otpauthUri(secret, user.email) };
  }

  private async issue(em: EntityManager, staffUserId: string, now: Date): Promise<IssuedEnrolment> {
    const token = `${ENROLMENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = uuidv7(now.getTime());
    const expiresAt = new Date(now.getTime() + STAFF_ENROLMENT_TTL_MS);
    await insertStaffEnrolment(em, { id, staffUserId, tokenHash: tokenDigest(token), createdAt: now, expiresAt });
    return { id, token, expiresAt };
  }

  private audit(em: EntityManager, by: StaffUserCreator, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    const target = { type: 'staff_user', id };
    if (by !== 'operator') return auditByStaff(em, by, action, target, details);
    return appendAudit(em, { actorType: 'operator', action, targetType: target.type, targetId: id, details });
  }

  private requireEmail(): EmailSender {
    if (!this.deps.email) {
      throw new AppError('unavailable', 'no email provider is configured (RESEND_API_KEY): staff enrolment tokens are sent by email only');
    }
    return this.deps.email;
  }

  private async send(email: EmailSender, to: string, enrolment: IssuedEnrolment, reset: boolean): Promise<void> {
    const content = staffEnrolmentEmail({
      token: enrolment.token,
      expiresAt: enrolment.expiresAt,
      apiBaseUrl: this.deps.apiBaseUrl,
      reset,
    });
    try {
      await email.send({
        to: [to],
        ...content,
        idempotencyKey: `staff-enrolment/${enrolment.id}`,
        tags: [{ name: 'kind', value: 'staff_enrolment' }],
      });
    } catch (err) {
      if (!(err instanceof EmailSendError)) throw err;
      throw new AppError(
        'unavailable',
        'the enrolment email could not be sent; the staff user exists: reset their enrolment to send a new token',
        {
          cause: err,
        },
      );
    }
  }
}
