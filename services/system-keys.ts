import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import {
  initialAuditMacKey,
  initialPhoneHashKey,
  initialStaffTotpKey,
  unwrapKey,
  wrapKey,
  type KeyBinding,
  type MasterKeys,
} from '../lib/crypto/keys';

/** The key every phone hash is an HMAC under; version 1 is the only one so far. */
export const PHONE_HASH_KEY = { name: 'phone_hash', version: 1 } as const;

/** The key of the audit log's MAC chain. */
export const AUDIT_MAC_KEY = { name: 'audit_mac', version: 1 } as const;

/** The key staff users' TOTP secrets are sealed under (services/staff/totp-secret.ts). */
export const STAFF_TOTP_KEY = { name: 'staff_totp', version: 1 } as const;

/** The key of the HMAC digests API keys are stored and found by, and of the shared rate-limit store's keys. */
export const AUTH_DIGEST_KEY = { name: 'auth_digest', version: 1 } as const;

/** The key of the pseudonymous analytics id (an HMAC of the holder id), so PostHog never sees our ids. */
export const ANALYTICS_ID_KEY = { name: 'analytics_id', version: 1 } as const;

/** The key holder profiles' billing address and tax ID are sealed under (an identity spans accounts, so no account key). */
export const HOLDER_PROFILE_KEY = { name: 'holder_profile', version: 1 } as const;

export const systemKeyBinding = (name: string, version: number): KeyBinding => ({
  purpose: 'system_keys.wrapped_key',
  owner: name,
  version,
});

/**
 * A process-wide key stored wrapped by MASTER_KEY (table system_keys): the first process on a new
 * database stores `initial`; from then on it is only unwrapped, so rotating MASTER_KEY rewraps it
 * (`npm run keys:rotate`) without changing it. Use it for any key whose output must outlive a
 * MASTER_KEY rotation (phone hashes; a MAC over stored data).
 */
export async function loadSystemKey(
  pool: Pool,
  masters: MasterKeys,
  name: string,
  version: number,
  initial: () => Buffer,
): Promise<Buffer> {
  const binding = systemKeyBinding(name, version);
  const read = () =>
    pool.query<{ wrapped_key: Buffer }>('select wrapped_key from system_keys where name = $1 and version = $2', [name, version]);
  let { rows } = await read();
  if (rows.length === 0) {
    // Two processes starting on a new database may both get here; the first insert wins and both read it.
    await pool.query(
      `insert into system_keys (name, version, wrapped_key, master_key_id, created_at) values ($1, $2, $3, $4, now())
       on conflict do nothing`,
      [name, version, wrapKey(masters.current, binding, initial()), masters.current.id],
    );
    ({ rows } = await read());
  }
  return unwrapKey(masters, binding, rows[0]!.wrapped_key);
}

/**
 * The phone-hash key. A new database starts with the key HKDF derives from its MASTER_KEY (what
 * phone hashes used before keys were stored, so existing hashes still match); opt-outs and dedupe
 * keep matching across MASTER_KEY rotations.
 */
export function loadPhoneHashKey(pool: Pool, masters: MasterKeys, masterKeyBase64: string): Promise<Buffer> {
  return loadSystemKey(pool, masters, PHONE_HASH_KEY.name, PHONE_HASH_KEY.version, () => initialPhoneHashKey(masterKeyBase64));
}

/** The audit-MAC key: like the phone-hash key, derived once from MASTER_KEY and then kept wrapped. */
export function loadAuditMacKey(pool: Pool, masters: MasterKeys, masterKeyBase64: string): Promise<Buffer> {
  return loadSystemKey(pool, masters, AUDIT_MAC_KEY.name, AUDIT_MAC_KEY.version, () => initialAuditMacKey(masterKeyBase64));
}

/** The staff-TOTP key: derived once from MASTER_KEY, then kept wrapped, so a rotation never strands a sealed secret. */
export function loadStaffTotpKey(pool: Pool, masters: MasterKeys, masterKeyBase64: string): Promise<Buffer> {
  return loadSystemKey(pool, masters, STAFF_TOTP_KEY.name, STAFF_TOTP_KEY.version, () => initialStaffTotpKey(masterKeyBase64));
}

/** The auth-digest key: random on a new database (nothing earlier derived it), then kept wrapped like the others. */
export function loadAuthDigestKey(pool: Pool, masters: MasterKeys): Promise<Buffer> {
  return loadSystemKey(pool, masters, AUTH_DIGEST_KEY.name, AUTH_DIGEST_KEY.version, () => randomBytes(32));
}
