import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import { AccountDataKey } from '../db/entities/account-data-key';
import { unwrapKey, wrapKey, type KeyBinding, type MasterKeys } from '../lib/crypto/keys';
import type { DataKey } from '../lib/crypto/sealed-field';
import { AppError } from '../lib/errors';

/** Every use of a destroyed key fails with this; nothing can bring the key back, so never retry. */
export class DataKeyDestroyedError extends AppError {
  constructor(readonly accountId: string) {
    super('data_key_destroyed', "the account's data key has been destroyed: its stored personal data can no longer be read");
    this.name = 'DataKeyDestroyedError';
  }
}

export interface KeyringOptions {
  /** How long an unwrapped key may stay in this process's memory without being used by a check. */
  ttlMs: number;
  /** At most this many unwrapped keys are held; the least recently used goes first. */
  maxEntries: number;
  clock?: () => number;
}

interface Cached {
  dataKey: DataKey;
  generation: number;
  expiresAt: number;
}

const KEY_ROW_SQL = 'select wrapped_key, key_version, generation, destroyed_at from account_data_keys where account_id =';

/** An account_data_keys row as `keyFromRow` takes it. */
export interface KeyRow {
  wrapped_key: Buffer | null;
  key_version: number;
  generation: number;
  destroyed_at: Date | null;
}

export const dataKeyBinding = (accountId: string, version: number): KeyBinding => ({
  purpose: 'account_data_keys.wrapped_key',
  owner: accountId,
  version,
});

/**
 * Per-account data keys: created at sign-up, unwrapped on demand, cached (bounded by size and TTL).
 * Destroying must take effect in every process at once, so every `keyFor` reads the key's row (a
 * primary-key lookup in the caller's transaction): a destroyed key or a changed generation is never
 * served from the cache. The cache only saves unwrapping and bounds how long key material lives here.
 */
export class DataKeyring {
  private readonly cache = new Map<string, Cached>();
  private readonly clock: () => number;
  private nextSweep = 0;

  constructor(
    private readonly masters: MasterKeys,
    private readonly options: KeyringOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  create(em: EntityManager, accountId: string, now: Date): DataKey {
    const dataKey: DataKey = { accountId, version: 1, key: randomBytes(32) };
    const row = new AccountDataKey();
    row.accountId = accountId;
    row.keyVersion = dataKey.version;
    row.generation = 1;
    row.wrappedKey = wrapKey(this.masters.current, dataKeyBinding(accountId, dataKey.version), dataKey.key);
    row.masterKeyId = this.masters.current.id;
    row.createdAt = now;
    em.persist(row);
    return dataKey;
  }

  async keyFor(em: EntityManager, accountId: string): Promise<DataKey> {
    const rows = await em.execute<KeyRow[]>(`${KEY_ROW_SQL} ?`, [accountId]);
    return this.keyFromRow(accountId, rows[0]);
  }

  /**
   * `keyFor` on a plain pg connection, for a caller inside a pg transaction: waiting there for an ORM
   * connection while holding row locks can deadlock against ORM transactions waiting for those rows.
   */
  async keyForOnConnection(client: Pick<PoolClient, 'query'>, accountId: string): Promise<DataKey> {
    const { rows } = await client.query<KeyRow>(`${KEY_ROW_SQL} $1`, [accountId]);
    return this.keyFromRow(accountId, rows[0]);
  }

  /** `keyFor` of a key row the caller read itself, in a statement of its own (the send path's checks). */
  keyFromRow(accountId: string, row: KeyRow | undefined): DataKey {
    if (!row) throw AppError.notFound('account data key');
    if (!row.wrapped_key || row.destroyed_at) {
      this.cache.delete(accountId);
      throw new DataKeyDestroyedError(accountId);
    }
    const now = this.clock();
    this.sweepExpired(now);
    const cached = this.cache.get(accountId);
    this.cache.delete(accountId); // re-inserted below: Map order is the LRU order
    if (cached && cached.generation === row.generation && cached.dataKey.version === row.key_version && cached.expiresAt > now) {
      this.cache.set(accountId, cached);
      return cached.dataKey;
    }
    const key = unwrapKey(this.masters, dataKeyBinding(accountId, row.key_version), row.wrapped_key);
    const dataKey: DataKey = { accountId, version: row.key_version, key };
    this.cache.set(accountId, { dataKey, generation: row.generation, expiresAt: now + this.options.ttlMs });
    this.evictOverflow();
    return dataKey;
  }

  /**
   * Crypto-shreds the account: the wrapped key is gone and the generation bumped, in the caller's
   * transaction. Other processes refuse on their next use, whatever they have cached.
   */
  async destroy(em: EntityManager, accountId: string): Promise<void> {
    await em.execute(
      `update account_data_keys set wrapped_key = null, destroyed_at = coalesce(destroyed_at, now()), generation = generation + 1
       where account_id = ?`,
      [accountId],
    );
    this.cache.delete(accountId);
  }

  /** How many unwrapped keys this process holds (for tests and metrics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** Expired keys leave memory on the next use of the keyring, not only when their account is used again. */
  private sweepExpired(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + Math.min(1000, this.options.ttlMs);
    for (const [accountId, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(accountId);
  }

  private evictOverflow(): void {
    for (const accountId of this.cache.keys()) {
      if (this.cache.size <= this.options.maxEntries) return;
      this.cache.delete(accountId);
    }
  }
}
