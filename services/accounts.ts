import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import { readAccountBilling } from './billing/billing-store';
import { paymentMethodDisplay } from './billing/billing-view';
import { Account } from '../db/entities/account';
import type { MembershipRole } from '../db/entities/account-membership';
import { hashSecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import type { AccountActor } from './actor';
import { issueApiKey, toApiKeyView } from './api-keys';
import { appendAudit } from './audit-log';
import type { DataKeyring } from './keyring';
import type { EmailLinks } from './holders/email-links';
import { sendHolderLink, type HolderMailDeps } from './holders/holder-mail';

export interface SignUpInput {
  accountName: string;
  email: string;
  password: string;
}

export function toAccountView(account: Account, paymentMethod: ReturnType<typeof paymentMethodDisplay> = null) {
  return {
    id: account.id,
    name: account.name,
    status: account.status,
    createdAt: account.createdAt.toISOString(),
    billing: { stripeCustomerId: account.stripeCustomerId ?? null, paymentMethod },
  };
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export interface SignUpDeps {
  keyring: DataKeyring;
  authDigestKey: Buffer;
  links: EmailLinks;
  mail: HolderMailDeps;
}

/**
 * Sign-up: account, data key and first API key (read, write, admin), all in one transaction, and one
 * emailed link. The answer and its cost are the same whether or not the email already has an
 * identity (one argon2 hash, one transaction, one email): a new email gets an unverified identity
 * that owns the account and a verification link; a known email gets a link to claim the new account
 * ("you already have an account"), and until it is claimed the account has no holder, so it cannot
 * send. The caller's password is only kept for a new identity.
 */
export async function signUp(em: EntityManager, deps: SignUpDeps, input: SignUpInput) {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashSecret(input.password);
  const { result, link } = await em.transactional(async (tem) => {
    const now = new Date();
    const { identity, result } = await createAccount(tem, deps, input.accountName, now, async (accountId) => {
      const claimed = await claimIdentity(tem, email, passwordHash, now);
      if (claimed.created) await addMembership(tem, claimed.id, accountId, 'owner', now);
      return claimed;
    });
    const issued = await deps.links.tryIssue(tem, {
      purpose: identity.created ? 'verify_email' : 'claim_account',
      userId: identity.id,
      accountId: result.account.id,
      rateKey: email,
      passwordHash: identity.created ? null : passwordHash,
    });
    await auditAccountCreated(tem, result.account.id);
    return {
      result,
      link: issued && { issued, kind: identity.created ? ('verify_email' as const) : ('existing_account' as const) },
    };
  });
  if (link) await sendHolderLink(deps.mail, email, link.kind, link.issued, input.accountName);
  return result;
}

/**
 * The sign-up's audit entry: the last statement of the sign-up's transaction. The append holds the
 * log's one lock until commit, so nothing may follow it that waits for another connection (the
 * emailed link's budget lives on the pg pool, whose connections may all be waiting for that lock).
 */
function auditAccountCreated(em: EntityManager, accountId: string): Promise<void> {
  return appendAudit(em, { actorType: 'signup', accountId, action: 'account.created', targetType: 'account', targetId: accountId });
}

/**
 * The account, its data key and its first API key (read, write, admin), in the caller's
 * transaction; `holder` attaches the identity once the account row exists.
 */
async function createAccount<T>(
  em: EntityManager,
  deps: Pick<SignUpDeps, 'keyring' | 'authDigestKey'>,
  name: string,
  now: Date,
  holder: (accountId: string) => Promise<T>,
) {
  const account = em.create(Account, { id: uuidv7(now.getTime()), name, status: 'active', createdAt: now, updatedAt: now });
  await em.flush(); // entities reference each other by id only, so the account row must exist first
  const identity = await holder(account.id);
  deps.keyring.create(em, account.id, now);
  const { key, token } = issueApiKey(em, deps.authDigestKey, account.id, 'default', ['read', 'write', 'admin'], now);
  await em.flush();
  return { identity, result: { account: toAccountView(account), apiKey: { ...toApiKeyView(key), key: token } } };
}

/**
 * Sign-up by an identity provider that vouches for the email (Google with `email_verified`): the
 * same account, data key and first API key as signUp, owned by a new identity with no password whose
 * email (and membership) count as verified, so no link is emailed. Null, with nothing created, when
 * the email already has an identity: that holder must link instead (never a takeover by email match).
 * `attach` runs in the same transaction with the new identity's id (it records the provider's identity).
 */
export async function signUpVerified(
  em: EntityManager,
  deps: Pick<SignUpDeps, 'keyring' | 'authDigestKey'>,
  input: { accountName: string; email: string },
  attach: (em: EntityManager, userId: string, now: Date) => Promise<void>,
) {
  return em.transactional(async (tem) => {
    const now = new Date();
    const [inserted] = await tem.execute<{ id: string }[]>(
      `insert into users (id, email, password_hash, email_verified_at, created_at) values (?, ?, null, ?, ?)
       on conflict ((lower(email))) do nothing returning id`,
      [uuidv7(now.getTime()), normalizeEmail(input.email), now, now],
    );
    if (!inserted) return null;
    const { result } = await createAccount(tem, deps, input.accountName, now, async (accountId) => {
      await addMembership(tem, inserted.id, accountId, 'owner', now);
      await tem.execute('update account_memberships set verified_at = ? where user_id = ? and account_id = ?', [
        now,
        inserted.id,
        accountId,
      ]);
    });
    await attach(tem, inserted.id, now);
    await auditAccountCreated(tem, result.account.id);
    return { userId: inserted.id, ...result };
  });
}

/** The email's identity: a new unverified one, or the existing one (its password untouched). Safe under concurrent sign-ups. */
async function claimIdentity(em: EntityManager, email: string, passwordHash: string, now: Date): Promise<{ id: string; created: boolean }> {
  const [inserted] = await em.execute<{ id: string }[]>(
    `insert into users (id, email, password_hash, created_at) values (?, ?, ?, ?) on conflict ((lower(email))) do nothing returning id`,
    [uuidv7(now.getTime()), email, passwordHash, now],
  );
  if (inserted) return { id: inserted.id, created: true };
  const [existing] = await em.execute<{ id: string }[]>('select id from users where lower(email) = ?', [email]);
  return { id: existing!.id, created: false };
}

export async function addMembership(em: EntityManager, userId: string, accountId: string, role: MembershipRole, now: Date): Promise<void> {
  await em.execute(
    `insert into account_memberships (user_id, account_id, role, created_at) values (?, ?, ?, ?)
     on conflict (user_id, account_id) do nothing`,
    [userId, accountId, role, now],
  );
}

export async function getAccount(em: EntityManager, pgPool: Pool, actor: AccountActor) {
  const account = await em.findOne(Account, { id: actor.accountId });
  if (!account) throw AppError.notFound('account');
  return toAccountView(account, paymentMethodDisplay(await readAccountBilling(pgPool, actor.accountId)));
}
