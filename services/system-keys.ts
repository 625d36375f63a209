import type { Pool } from 'pg';
import { initialPhoneHashKey, unwrapKey, wrapKey, type KeyBinding, type MasterKeys } from '../lib/crypto/keys';

/** The key every phone hash is an HMAC under; version 1 is the only one so far. */
export const PHONE_HASH_KEY = { name: 'phone_hash', version: 1 } as const;

export const systemKeyBinding = (name: string, version: number): KeyBinding => ({ purpose: 'system_keys.wrapped_key', owner: name, version });

/**
 * The phone-hash key, stored wrapped by MASTER_KEY (table system_keys). The first process on a new
 * database stores the key derived from its MASTER_KEY (the same key phone hashes used before keys
 * were stored, so existing hashes still match); from then on it is only unwrapped, so rotating
 * MASTER_KEY rewraps it and every phone hash, opt-out and dedupe keeps matching.
 */
export async function loadPhoneHashKey(pool: Pool, masters: MasterKeys, masterKeyBase64: string): Promise<Buffer> {
  const { name, version } = PHONE_HASH_KEY;
  const binding = systemKeyBinding(name, version);
  await pool.query(
    `insert into system_keys (name, version, wrapped_key, master_key_id, created_at) values ($1, $2, $3, $4, now())
     on conflict do nothing`,
    [name, version, wrapKey(masters.current, binding, initialPhoneHashKey(masterKeyBase64)), masters.current.id],
  );
  const { rows } = await pool.query<{ wrapped_key: Buffer }>('select wrapped_key from system_keys where name = $1 and version = $2', [
    name,
    version,
  ]);
  return unwrapKey(masters, binding, rows[0]!.wrapped_key);
}
