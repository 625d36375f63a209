import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataKey } from '../db/entities/account-data-key';
import { AppError } from '../lib/errors';
import { open, seal } from '../lib/crypto/aes-gcm';

/** Per-account data keys: created at sign-up, unwrapped on demand and cached for the process. */
export class DataKeyring {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly wrapKey: Buffer) {}

  create(em: EntityManager, accountId: string, now: Date): Buffer {
    const dataKey = randomBytes(32);
    const row = new AccountDataKey();
    row.accountId = accountId;
    row.wrappedKey = seal(this.wrapKey, dataKey, Buffer.from(accountId));
    row.createdAt = now;
    em.persist(row);
    this.cache.set(accountId, dataKey);
    return dataKey;
  }

  async keyFor(em: EntityManager, accountId: string): Promise<Buffer> {
    const cached = this.cache.get(accountId);
    if (cached) return cached;
    const row = await em.findOne(AccountDataKey, { accountId });
    if (!row?.wrappedKey) throw new AppError('conflict', 'the account data key has been destroyed');
    const dataKey = open(this.wrapKey, row.wrappedKey, Buffer.from(accountId));
    this.cache.set(accountId, dataKey);
    return dataKey;
  }
}
