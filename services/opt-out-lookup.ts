import type { EntityManager } from '@mikro-orm/postgresql';

/** Which of these phone hashes the account has opted out (hex-encoded, for set lookups). */
export async function optedOutHashes(em: EntityManager, accountId: string, hashes: Buffer[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await em.execute<{ phone_hash: Buffer }[]>('select phone_hash from opt_outs where account_id = ? and phone_hash in (?)', [
    accountId,
    hashes,
  ]);
  return new Set(rows.map((r) => r.phone_hash.toString('hex')));
}
