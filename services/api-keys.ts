import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, type ApiKeyScope } from '../db/entities/api-key';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import { requireActiveAccount } from './account-lock';
import type { KeyManager } from './actor';
import { auditByKey } from './audit-log';
import { apiKeyDigest } from './auth/auth-digest';
import type { AuthLimits } from './auth/auth-limits';
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

/** Active (unrevoked) keys an account may hold: each is a credential to watch, so there is a ceiling. */
export const MAX_ACTIVE_API_KEYS = 50;

/** What creating a key needs beyond the database: the digest key and the shared creation budget. */
export interface KeyIssuing {
  digestKey: Buffer;
  limits: AuthLimits;
}

/** Creates a key; the plaintext token is returned once and only its HMAC digest is stored. */
export function issueApiKey(
  em: EntityManager,
  digestKey: Buffer,
  accountId: string,
  name: string,
  scopes: ApiKeyScope[],
  now = new Date(),
): { key: ApiKey; token: string } {
  const prefix = `msk_${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  const token = `${prefix}_${secret}`;
  const key = new ApiKey();
  key.id = uuidv7(now.getTime());
  key.accountId = accountId;
  key.name = name;
  key.prefix = prefix;
  key.keyHash = apiKeyDigest(digestKey, token);
  key.scopes = [...new Set(scopes)];
  key.createdAt = now;
  em.persist(key);
  return { key, token };
}

/**
 * A new key, within the account's creation budget (shared store) and its cap of active keys. The
 * account row is locked before counting, so concurrent creations cannot pass the cap together.
 */
export async function createApiKey(
  em: EntityManager,
  issuing: KeyIssuing,
  actor: KeyManager,
  input: { name: string; scopes: ApiKeyScope[] },
) {
  await issuing.limits.takeKeyCreation(actor.accountId);
  return em.transactional(async (tem) => {
    // Locked for update: concurrent creations pass the cap one at a time, and termination (which takes the
    // same lock before revoking) either revokes this key or makes this creation see the account closed.
    await requireActiveAccount(tem, actor.accountId, 'it can no longer have new API keys', 'update');
    const active = await tem.count(ApiKey, { accountId: actor.accountId, revokedAt: null });
    if (active >= MAX_ACTIVE_API_KEYS) {
      throw new AppError(
        'conflict',
        `the account already has ${MAX_ACTIVE_API_KEYS} active API keys, the most it may hold; revoke one (DELETE /v1/api-keys/{id}) before creating another`,
      );
    }
    const issued = issueApiKey(tem, issuing.digestKey, actor.accountId, input.name, input.scopes);
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
