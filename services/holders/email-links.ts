import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { SharedBudget } from '../auth/shared-budget';

/**
 * What an emailed link is for. A link is consumed only under the purpose it was issued for, so a
 * verification link can never reset a password. (Add a purpose here when a new flow needs one.)
 */
export type EmailLinkPurpose = 'verify_email' | 'claim_account' | 'invitation' | 'password_reset' | 'email_change';

export const EMAIL_LINK_TOKEN_PREFIX = 'mse_';
/** 256 random bits after the prefix: checked before any lookup. */
export const EMAIL_LINK_TOKEN_PATTERN = /^mse_[A-Za-z0-9_-]{43}$/;
/** Default lifetimes by purpose: a password reset is a live credential, so it is short. */
export const EMAIL_LINK_TTL_MS: Readonly<Record<EmailLinkPurpose, number>> = {
  verify_email: 48 * 60 * 60_000,
  claim_account: 48 * 60 * 60_000,
  invitation: 7 * 24 * 60 * 60_000,
  password_reset: 60 * 60_000,
  email_change: 24 * 60 * 60_000,
};
/** Links issued per (purpose, rate key) per hour: a mailbox cannot be flooded through us. */
export const EMAIL_LINK_ISSUES = { points: 5, durationSeconds: 60 * 60 } as const;

const REFUSED = 'the link is unknown, used, expired or revoked; ask for a new one';

export interface IssueEmailLink {
  purpose: EmailLinkPurpose;
  /** The identity the link acts for (null for an invitation to an email with no identity yet). */
  userId: string | null;
  /** The account it concerns, when it concerns one (a claim, an invitation). */
  accountId?: string | null;
  /** What the issue budget is counted by, usually the normalized email the link goes to. */
  rateKey: string;
  ttlMs?: number;
  /** An argon2id hash to carry to the link's use (a claim's sign-up password); never a plain secret. */
  passwordHash?: string | null;
  /** The address an email-change link proves (normalized); applied only when the link is used. */
  newEmail?: string | null;
}

export interface IssuedEmailLink {
  id: string;
  /** Goes into the email only: never stored (only its SHA-256), never logged, never in an API answer. */
  token: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface EmailLinkRow {
  id: string;
  purpose: EmailLinkPurpose;
  userId: string | null;
  accountId: string | null;
  passwordHash: string | null;
  newEmail: string | null;
  createdAt: Date;
  expiresAt: Date;
}

const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Single-use emailed links: a random token (only its SHA-256 stored), a purpose, an expiry; using
 * it marks it used in the same statement that finds it, so two concurrent uses cannot both win.
 * Issuing is rate-limited per (purpose, rate key) in the shared budget store.
 */
export class EmailLinks {
  private readonly issues: SharedBudget;

  constructor(
    pool: Pool,
    digestKey: Buffer,
    private readonly clock: () => number = Date.now,
  ) {
    this.issues = new SharedBudget(pool, digestKey, {
      name: 'email_link_issue',
      points: EMAIL_LINK_ISSUES.points,
      durationSeconds: EMAIL_LINK_ISSUES.durationSeconds,
      counted: 'emailed links to this address',
    });
  }

  /** Issues a link, or 429 once the (purpose, rate key)'s hourly budget is spent. */
  async issue(em: EntityManager, input: IssueEmailLink): Promise<IssuedEmailLink> {
    await this.reserve(input.purpose, input.rateKey);
    return this.insert(em, input);
  }

  /**
   * Spends one of the (purpose, rate key)'s issues now (429 once spent), for a link that may be
   * issued later with issueReserved: a request answered before anyone looks the email up is limited
   * alike whether or not the email exists.
   */
  async reserve(purpose: EmailLinkPurpose, rateKey: string): Promise<void> {
    await this.issues.take(`${purpose}\n${rateKey}`);
  }

  /** Issues a link whose budget reserve() already spent. */
  issueReserved(em: EntityManager, input: IssueEmailLink): Promise<IssuedEmailLink> {
    return this.insert(em, input);
  }

  /** Like issue, but null instead of 429: for answers that must not differ (sign-up). */
  async tryIssue(em: EntityManager, input: IssueEmailLink): Promise<IssuedEmailLink | null> {
    try {
      return await this.issue(em, input);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'rate_limited') return null;
      throw err;
    }
  }

  /** Uses a link once, under its purpose: 401 for a malformed, unknown, used, expired or revoked one. */
  async consume(em: EntityManager, token: string, purpose: EmailLinkPurpose): Promise<EmailLinkRow> {
    if (!EMAIL_LINK_TOKEN_PATTERN.test(token)) throw new AppError('unauthorized', REFUSED);
    const now = new Date(this.clock());
    const [row] = await em.execute<
      {
        id: string;
        purpose: EmailLinkPurpose;
        user_id: string | null;
        account_id: string | null;
        password_hash: string | null;
        new_email: string | null;
        created_at: Date;
        expires_at: Date;
      }[]
    >(
      `update email_links set used_at = ? where token_hash = ? and purpose = ? and used_at is null and revoked_at is null and expires_at > ?
       returning id, purpose, user_id, account_id, password_hash, new_email, created_at, expires_at`,
      [now, tokenDigest(token), purpose, now],
    );
    if (!row) throw new AppError('unauthorized', REFUSED);
    return {
      id: row.id,
      purpose: row.purpose,
      userId: row.user_id,
      accountId: row.account_id,
      passwordHash: row.password_hash,
      newEmail: row.new_email,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  /** Revokes the identity's open links of a purpose (a newer one replaces them, a password change voids resets); how many. */
  async revokeOpen(em: EntityManager, userId: string, purpose: EmailLinkPurpose): Promise<number> {
    const res = await em.execute(
      `update email_links set revoked_at = ? where user_id = ? and purpose = ? and used_at is null and revoked_at is null and expires_at > ?`,
      [new Date(this.clock()), userId, purpose, new Date(this.clock())],
      'run',
    );
    return (res as { affectedRows?: number }).affectedRows ?? 0;
  }

  private async insert(em: EntityManager, input: IssueEmailLink): Promise<IssuedEmailLink> {
    const now = this.clock();
    const token = `${EMAIL_LINK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = uuidv7(now);
    const expiresAt = new Date(now + (input.ttlMs ?? EMAIL_LINK_TTL_MS[input.purpose]));
    await em.execute(
      `insert into email_links (id, purpose, user_id, account_id, token_hash, password_hash, new_email, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        input.purpose,
        input.userId,
        input.accountId ?? null,
        tokenDigest(token),
        input.passwordHash ?? null,
        input.newEmail ?? null,
        new Date(now),
        expiresAt,
      ],
    );
    return { id, token, createdAt: new Date(now), expiresAt };
  }
}
