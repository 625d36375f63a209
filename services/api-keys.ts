import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, type ApiKeyScope } from '../db/entities/api-key';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import type { AccountActor } from './actor';
import { auditByKey } from './audit-log';
import { findAccountPage, toPage, type PageRequest } from './pagination';

const TOKEN_RE = /^(msk_[0-9a-f]{12})_([A-Za-z0-9_-]{32})$/;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

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

/** Creates a key; the plaintext token is returned once and only its argon2id hash is stored. */
export async function issueApiKey(
  em: EntityManager,
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
  key.keyHash = await argon2.hash(token, { type: argon2.argon2id });
  key.scopes = scopes;
  key.createdAt = now;
  em.persist(key);
  return { key, token };
}

export async function createApiKey(em: EntityManager, actor: AccountActor, input: { name: string; scopes: ApiKeyScope[] }) {
  return em.transactional(async (tem) => {
    const issued = await issueApiKey(tem, actor.accountId, input.name, input.scopes);
    await tem.flush();
    await auditByKey(tem, actor, 'api_key.created', { type: 'api_key', id: issued.key.id }, { scopes: input.scopes });
    return { ...toApiKeyView(issued.key), key: issued.token };
  });
}

/** One key of the caller's account, never its secret. */
export async function getApiKey(em: EntityManager, actor: AccountActor, id: string): Promise<ApiKeyView> {
  const key = await em.findOne(ApiKey, { id, accountId: actor.accountId });
  if (!key) throw AppError.notFound('API key');
  return toApiKeyView(key);
}

export async function listApiKeys(em: EntityManager, actor: AccountActor, page: PageRequest) {
  const rows = await findAccountPage(em, ApiKey, actor.accountId, page);
  return toPage(rows, page.limit, toApiKeyView);
}

export async function revokeApiKey(em: EntityManager, actor: AccountActor, id: string) {
  return em.transactional(async (tem) => {
    const key = await tem.findOne(ApiKey, { id, accountId: actor.accountId });
    if (!key) throw AppError.notFound('API key');
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await tem.flush();
      await auditByKey(tem, actor, 'api_key.revoked', { type: 'api_key', id: key.id });
    }
    return toApiKeyView(key);
  });
}

/**
 * Resolves a bearer token to its account. argon2 verification is slow by design, so a successful
 * verification is remembered per token digest; revocation is still read from the row every time.
 */
export class ApiKeyAuthenticator {
  private readonly verified = new Map<string, string>();

  async authenticate(em: EntityManager, token: string): Promise<AccountActor> {
    const match = TOKEN_RE.exec(token);
    if (!match) throw new AppError('unauthorized', 'the API key is malformed');
    const key = await em.findOne(ApiKey, { prefix: match[1]! });
    if (!key || key.revokedAt) throw new AppError('unauthorized', 'the API key is unknown or revoked');
    const digest = createHash('sha256').update(token).digest('hex');
    if (this.verified.get(digest) !== key.id) {
      if (!(await argon2.verify(key.keyHash, token))) throw new AppError('unauthorized', 'the API key is unknown or revoked');
      this.verified.set(digest, key.id);
    }
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_WRITE_INTERVAL_MS) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
    }
    return { accountId: key.accountId, apiKeyId: key.id, scopes: key.scopes };
  }
}
