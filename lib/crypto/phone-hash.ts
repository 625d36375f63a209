import { createHmac } from 'node:crypto';

/**
 * Keyed hash of an E.164 number. Global (not per account) so an opt-out survives the account's
 * crypto-shredding and still matches the same number if it is ever uploaded again.
 */
export function phoneHash(phoneHashKey: Buffer, e164: string): Buffer {
  return createHmac('sha256', phoneHashKey).update(e164).digest();
}
