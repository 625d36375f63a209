import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Keyed hash of an E.164 number. Global (not per account) so an opt-out survives the account's
 * crypto-shredding and still matches the same number if it is ever uploaded again.
 */
export function phoneHash(phoneHashKey: Buffer | KeyObject, e164: string): Buffer {
  return createHmac('sha256', phoneHashKey).update(e164).digest();
}

/** phoneHash for bulk paths: the key is imported once, not copied into every HMAC. */
export function phoneHasher(phoneHashKey: Buffer): (e164: string) => Buffer {
  const key = createSecretKey(phoneHashKey);
  return (e164) => phoneHash(key, e164);
}
