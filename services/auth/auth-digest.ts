import { createHmac } from 'node:crypto';

/**
 * API keys carry 190+ random bits, so a keyed HMAC-SHA256 is enough to store them (argon2id's cost
 * buys nothing against a secret nobody can guess) and a key is found with one indexed lookup.
 * The key is the `auth_digest` system key, so a leaked table alone does not even confirm a key.
 */
export const apiKeyDigest = (digestKey: Buffer, token: string): string =>
  createHmac('sha256', digestKey).update('api_key\0').update(token).digest('hex');

/** The key a rate-limit counter is stored under: an HMAC, so the shared store holds no email or address. */
export const limitKeyDigest = (digestKey: Buffer, key: string): string =>
  createHmac('sha256', digestKey).update('rate_limit\0').update(key).digest('base64url');

/** A key row stored before digests: `key_hash` is still its argon2id hash (migrated on its next use). */
export const isArgon2Hash = (stored: string): boolean => stored.startsWith('$argon2');
