import { randomBytes } from 'node:crypto';

const POOL_SIZE = 64 * 1024;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/**
 * Cryptographically random bytes drawn from a pooled buffer: the same randomness as randomBytes,
 * without a call into the CSPRNG per row (which dominates per-row cost on bulk paths).
 * The returned view is only valid until the next call; copy it if it must be kept.
 */
export function pooledRandomBytes(size: number): Buffer {
  if (offset + size > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const view = pool.subarray(offset, offset + size);
  offset += size;
  return view;
}
