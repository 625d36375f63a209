import { createCipheriv, createDecipheriv } from 'node:crypto';
import { pooledRandomBytes } from './random-pool';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** AES-256-GCM; output is iv || ciphertext || tag. `aad` binds the ciphertext to its owner. */
export function seal(key: Uint8Array, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = pooledRandomBytes(IV_BYTES); // consumed by createCipheriv and copied into the output below
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([iv, body, final, cipher.getAuthTag()]);
}

export function open(key: Uint8Array, sealed: Buffer, aad: Buffer): Buffer {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}
