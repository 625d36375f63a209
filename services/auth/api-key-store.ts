import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiKey } from '../../db/entities/api-key';

/** The SQL of authenticating API keys: found by digest, or (once, before migration) by prefix. */

export type ApiKeyRow = Pick<ApiKey, 'id' | 'accountId' | 'keyHash' | 'scopes' | 'lastUsedAt' | 'revokedAt'>;

interface StoredKey {
  id: string;
  account_id: string;
  key_hash: string;
  scopes: ApiKey['scopes'];
  /** The ORM's connection hands timestamps back as text. */
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}

const COLUMNS = 'id, account_id, key_hash, scopes, last_used_at, revoked_at';

const toRow = (r: StoredKey): ApiKeyRow => ({
  id: r.id,
  accountId: r.account_id,
  keyHash: r.key_hash,
  scopes: r.scopes,
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** The keys stored under these digests (api_keys_key_hash_key), by digest. */
export async function findApiKeysByDigest(em: EntityManager, digests: string[]): Promise<Map<string, ApiKeyRow>> {
  const found = await em.execute<StoredKey[]>(`select ${COLUMNS} from api_keys where key_hash in (?)`, [digests]);
  return new Map(found.map((r) => [r.key_hash, toRow(r)]));
}

/** The key with this prefix if it still holds an argon2id hash (stored before digests), else null. */
export async function findLegacyApiKey(em: EntityManager, prefix: string): Promise<ApiKeyRow | null> {
  const [row] = await em.execute<StoredKey[]>(`select ${COLUMNS} from api_keys where prefix = ? and key_hash like '$argon2%'`, [prefix]);
  return row ? toRow(row) : null;
}

/** Replaces a verified key's argon2id hash by its digest; a concurrent migration of the same key changes nothing. */
export async function storeApiKeyDigest(em: EntityManager, id: string, argon2Hash: string, digest: string): Promise<void> {
  await em.execute('update api_keys set key_hash = ? where id = ? and key_hash = ?', [digest, id, argon2Hash]);
}
