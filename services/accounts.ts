import type { EntityManager } from '@mikro-orm/postgresql';
import { Account } from '../db/entities/account';
import { User } from '../db/entities/user';
import { hashSecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import type { AccountActor } from './actor';
import { issueApiKey, toApiKeyView } from './api-keys';
import { appendAudit } from './audit-log';
import type { DataKeyring } from './keyring';

export interface SignUpInput {
  accountName: string;
  email: string;
  password: string;
}

export function toAccountView(account: Account) {
  return {
    id: account.id,
    name: account.name,
    status: account.status,
    createdAt: account.createdAt.toISOString(),
    billing: { stripeCustomerId: null, paymentMethod: null },
  };
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Sign-up: account, owner user, data key and first API key (read, write, admin), all in one
 * transaction. An email may own several accounts, so sign-up never looks the email up: its answer
 * and its cost are the same whether or not the email is already registered.
 */
export async function signUp(em: EntityManager, keys: { keyring: DataKeyring; authDigestKey: Buffer }, input: SignUpInput) {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashSecret(input.password);
  return em.transactional(async (tem) => {
    const now = new Date();
    const account = tem.create(Account, {
      id: uuidv7(now.getTime()),
      name: input.accountName,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    await tem.flush(); // entities reference each other by id only, so the account row must exist first
    tem.create(User, { id: uuidv7(), accountId: account.id, email, passwordHash, role: 'owner', createdAt: now });
    keys.keyring.create(tem, account.id, now);
    const { key, token } = issueApiKey(tem, keys.authDigestKey, account.id, 'default', ['read', 'write', 'admin'], now);
    await tem.flush();
    await appendAudit(tem, {
      actorType: 'signup',
      accountId: account.id,
      action: 'account.created',
      targetType: 'account',
      targetId: account.id,
    });
    return { account: toAccountView(account), apiKey: { ...toApiKeyView(key), key: token } };
  });
}

export async function getAccount(em: EntityManager, actor: AccountActor) {
  const account = await em.findOne(Account, { id: actor.accountId });
  if (!account) throw AppError.notFound('account');
  return toAccountView(account);
}
