import { randomBytes } from 'node:crypto';

/**
 * A client address no other test (in this file or another running against the same database)
 * uses: a random /64 of the documentation range, since address budgets live in the shared store
 * and IPv6 clients are limited by their /64.
 */
export function freshAddress(): string {
  const random = randomBytes(4);
  return `2001:db8:${random.readUInt16BE(0).toString(16)}:${random.readUInt16BE(2).toString(16)}::1`;
}

/** Another host in the same /64 as `address` (one made by freshAddress). */
export const sameSlash64 = (address: string, host: number) => address.replace(/::1$/, `::${host.toString(16)}`);
