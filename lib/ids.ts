import { createHash } from 'node:crypto';
import { pooledRandomBytes } from './crypto/random-pool';

/** The lowest uuid: where a walk in id order starts. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** UUIDv7: time-ordered, so ids double as stable pagination cursors. */
export function uuidv7(now = Date.now()): string {
  const bytes = Buffer.from(pooledRandomBytes(16));
  bytes.writeUIntBE(now, 0, 6);
  return formatV7(bytes);
}

/**
 * A fresh UUIDv7 carrying another id's time field: a message's attempts take their message's time, so
 * they fall in its month's partition and go when it goes.
 */
export function uuidv7SameTimeAs(id: string): string {
  return uuidv7(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}

function formatV7(bytes: Buffer): string {
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/**
 * A UUIDv7 whose every bit is fixed by its inputs: the time field from `timeMs`, the rest from a
 * SHA-256 of `parts`. The same inputs always give the same id, so a replayed write of the same
 * thing cannot create a second row, while ids still sort by time.
 */
export function derivedUuidv7(timeMs: number, ...parts: string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  bytes.writeUIntBE(timeMs, 0, 6);
  return formatV7(bytes);
}

/** A uuid's 16 bytes (as a binary protocol writes it). */
export function uuidToBytes(id: string): Buffer {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}
