import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { ApiKey } from '../../db/entities/api-key';

/** The SQL of authenticating API keys: found by digest, or (once, before migration) by prefix. */

export type ApiKeyRow = Pick<ApiKey, 'id' | 'accountId' | 'keyHash' | 'scopes' | 'lastUsedAt' | 'revokedAt'>;

interface StoredKey {
  id: string;
  account_id: string;
  key_hash: string;
  scopes: ApiKey['scopes'];
  /** The ORM's connection hands timestamps back as text, pg as Dates. */
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}

const COLUMNS = 'k.id, k.account_id, k.key_hash, k.scopes, k.last_used_at, k.revoked_at';
/** Only keys of active accounts: a terminated account's key is refused like an unknown one. */
const ACTIVE_KEYS = "api_keys k join accounts a on a.id = k.account_id and a.status = 'active'";

const toRow = (r: StoredKey): ApiKeyRow => ({
  id: r.id,
  accountId: r.account_id,
  keyHash: r.key_hash,
  scopes: r.scopes,
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/**
 * The keys stored under these digests (api_keys_key_hash_key), by digest. On a pg pool with a named
 * statement: it runs on every authenticated request, and the ORM's raw path inlines and re-plans it.
 */
export async function findApiKeysByDigest(pool: Pool, digests: string[]): Promise<Map<string, ApiKeyRow>> {
  const { rows } = await pool.query<StoredKey>({
    name: 'api_keys_by_digest',
    text: `select ${COLUMNS} from ${ACTIVE_KEYS} where k.key_hash = any($1::text[])`,
    values: [digests],
  });
  return new Map(rows.map((r) => [r.key_hash, toRow(r)]));
}

/** Records that a key was used (the authenticator writes it at most once a minute per key). */
export async function touchApiKey(pool: Pool, id: string, at: Date): Promise<void> {
  await pool.query({ name: 'api_key_touch', text: 'update api_keys set last_used_at = $2 where id = $1', values: [id, at] });
}

/** The key with this prefix if it still holds an argon2id hash (stored before digests), else null. */
export async function findLegacyApiKey(em: EntityManager, prefix: string): Promise<ApiKeyRow | null> {
  const [row] = await em.execute<StoredKey[]>(`select ${COLUMNS} from ${ACTIVE_KEYS} where k.prefix = ? and k.key_hash like '$argon2%'`, [
    prefix,
  ]);
  return row ? toRow(row) : null;
}

/** Replaces a verified key's argon2id hash by its digest; a concurrent migration of the same key changes nothing. */
export async function storeApiKeyDigest(em: EntityManager, id: string, argon2Hash: string, digest: string): Promise<void> {
  await em.execute('update api_keys set key_hash = ? where id = ? and key_hash = ?', [digest, id, argon2Hash]);
}
