import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, type ApiKeyScope } from '../db/entities/api-key';
import { hashSecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import { requireActiveAccount } from './account-lock';
import type { KeyManager } from './actor';
import { auditByKey } from './audit-log';
import { findAccountPage, toPage, type PageRequest } from './pagination';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function toApiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** A new key (not yet stored); the plaintext token is returned once and only its argon2id hash is kept. */
async function newApiKey(
  accountId: string,
  name: string,
  scopes: ApiKeyScope[],
  now = new Date(),
): Promise<{ key: ApiKey; token: string }> {
  const prefix = `msk_${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  const token = `${prefix}_${secret}`;
  const key = new ApiKey();
  key.id = uuidv7(now.getTime());
  key.accountId = accountId;
  key.name = name;
  key.prefix = prefix;
  key.keyHash = await hashSecret(token);
  key.scopes = [...new Set(scopes)];
  key.createdAt = now;
  return { key, token };
}

/** Creates a key in the caller's unit of work; the plaintext token is returned once and only its argon2id hash is stored. */
export async function issueApiKey(
  em: EntityManager,
  accountId: string,
  name: string,
  scopes: ApiKeyScope[],
  now = new Date(),
): Promise<{ key: ApiKey; token: string }> {
  const issued = await newApiKey(accountId, name, scopes, now);
  em.persist(issued.key);
  return issued;
}

export async function createApiKey(em: EntityManager, actor: KeyManager, input: { name: string; scopes: ApiKeyScope[] }) {
  // The (slow) hash first: no connection or account lock is held while it runs.
  const issued = await newApiKey(actor.accountId, input.name, input.scopes);
  return em.transactional(async (tem) => {
    // Termination waits for this key and then revokes it, or this waits for the termination and refuses.
    await requireActiveAccount(tem, actor.accountId, 'it can no longer have new API keys');
    tem.persist(issued.key);
    await tem.flush();
    await auditByKey(tem, actor, 'api_key.created', { type: 'api_key', id: issued.key.id }, { scopes: issued.key.scopes });
    return { ...toApiKeyView(issued.key), key: issued.token };
  });
}

/** One key of the caller's account, never its secret. */
export async function getApiKey(em: EntityManager, actor: KeyManager, id: string): Promise<ApiKeyView> {
  const key = await em.findOne(ApiKey, { id, accountId: actor.accountId });
  if (!key) throw AppError.notFound('API key');
  return toApiKeyView(key);
}

export async function listApiKeys(em: EntityManager, actor: KeyManager, page: PageRequest) {
  const rows = await findAccountPage(em, ApiKey, actor.accountId, page);
  return toPage(rows, page.limit, toApiKeyView);
}

/**
 * Revokes a key at once, but never the account's last active admin key: that would lock the
 * account out of key management. The account row is locked first, so two concurrent revocations
 * of the last two admin keys run one after the other and the second sees the first.
 */
export async function revokeApiKey(em: EntityManager, actor: KeyManager, id: string) {
  return em.transactional(async (tem) => {
    await tem.execute('select 1 from accounts where id = ? for update', [actor.accountId]);
    const key = await tem.findOne(ApiKey, { id, accountId: actor.accountId }, { refresh: true });
    if (!key) throw AppError.notFound('API key');
    if (!key.revokedAt) {
      if (key.scopes.includes('admin')) {
        const otherAdmins = await tem.count(ApiKey, {
          accountId: actor.accountId,
          id: { $ne: key.id },
          revokedAt: null,
          scopes: { $contains: ['admin'] },
        });
        if (otherAdmins === 0) {
          throw new AppError(
            'conflict',
            'this is the account\'s last active admin key; create another key with the "admin" scope first, then revoke this one',
          );
        }
      }
      key.revokedAt = new Date();
      await tem.flush();
      await auditByKey(tem, actor, 'api_key.revoked', { type: 'api_key', id: key.id });
    }
    return toApiKeyView(key);
  });
}
