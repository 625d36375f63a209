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

/** seal, with `prefix` written before the iv in the same output buffer. */
export function sealInto(key: Uint8Array, plaintext: Buffer, aad: Buffer, prefix: Buffer): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + IV_BYTES + plaintext.length + TAG_BYTES);
  prefix.copy(out, 0);
  const iv = out.subarray(prefix.length, prefix.length + IV_BYTES);
  pooledRandomBytes(IV_BYTES).copy(iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  let at = prefix.length + IV_BYTES;
  at += cipher.update(plaintext).copy(out, at);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

export function open(key: Uint8Array, sealed: Buffer, aad: Buffer): Buffer {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}
