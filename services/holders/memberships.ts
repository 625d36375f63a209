import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRole } from '../../db/entities/account-membership';
import { AppError } from '../../lib/errors';

/**
 * A member who may be written to about the account: they proved the mailbox (the identity) and used
 * a link for this account (the membership). Someone who signed up under another person's address
 * never gets the account's notices, certificates or breach emails; the address's owner never did
 * sign up. (m: account_memberships, u: users)
 */
export const VERIFIED_MEMBER_SQL = 'm.verified_at is not null and u.email_verified_at is not null';

/** The verified holders' emails of each account (every verified member), oldest membership first. */
export async function holderEmailsByAccount(em: EntityManager, accountIds: readonly string[]): Promise<Map<string, string[]>> {
  const byAccount = new Map<string, string[]>();
  if (accountIds.length === 0) return byAccount;
  const rows = await em.execute<{ account_id: string; email: string }[]>(
    `select m.account_id, u.email from account_memberships m join users u on u.id = m.user_id
      where m.account_id = any(?::uuid[]) and ${VERIFIED_MEMBER_SQL} order by m.created_at, u.id`,
    [`{${accountIds.join(',')}}`],
  );
  for (const r of rows) byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r.email]);
  return byAccount;
}

export async function holderEmails(em: EntityManager, accountId: string): Promise<string[]> {
  return (await holderEmailsByAccount(em, [accountId])).get(accountId) ?? [];
}

/** True when the account (an SQL expression) has an owner who used the emailed verification link. */
export const VERIFIED_OWNER_SQL = (accountId: string) => `exists (
  select 1 from account_memberships m join users u on u.id = m.user_id
   where m.account_id = ${accountId} and m.role = 'owner' and ${VERIFIED_MEMBER_SQL})`;

export async function hasVerifiedHolder(em: EntityManager, accountId: string): Promise<boolean> {
  const [row] = await em.execute<{ ok: boolean }[]>(`select ${VERIFIED_OWNER_SQL('?')} as ok`, [accountId]);
  return row?.ok === true;
}

/** The refusal of whatever needs a holder who proved their email first (sending SMS, adding a payment method). */
export const unverifiedHolderError = (what: string) =>
  new AppError('forbidden', `the account's owner has not verified their email yet: ${what} needs it (use the link emailed at sign-up)`);

/** 403 until the account's owner used the emailed verification link. */
export async function requireVerifiedHolder(em: EntityManager, accountId: string, what: string): Promise<void> {
  if (!(await hasVerifiedHolder(em, accountId))) throw unverifiedHolderError(what);
}

/** The identity's role in the account, or null when it is not a member. */
export async function membershipRole(em: EntityManager, userId: string, accountId: string): Promise<MembershipRole | null> {
  const [row] = await em.execute<{ role: MembershipRole }[]>('select role from account_memberships where user_id = ? and account_id = ?', [
    userId,
    accountId,
  ]);
  return row?.role ?? null;
}
