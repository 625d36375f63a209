import type { Pool, PoolClient } from 'pg';
import { withPgTransaction } from '../db/pg-pool';
import { unwrapKey, wrapKey, type KeyBinding, type MasterKeys } from '../lib/crypto/keys';
import { dataKeyBinding } from './keyring';
import { systemKeyBinding } from './system-keys';

export interface RotationResult {
  dataKeys: number;
  systemKeys: number;
}

interface WrappedRow {
  id: string;
  wrapped_key: Buffer;
  binding: KeyBinding;
}

/** Rewraps one batch in one transaction; rows are locked so a concurrent destroy or rotation waits. */
async function rewrapBatch(
  pool: Pool,
  masters: MasterKeys,
  select: (client: PoolClient) => Promise<WrappedRow[]>,
  update: (client: PoolClient, row: WrappedRow, wrapped: Buffer) => Promise<unknown>,
): Promise<number> {
  return withPgTransaction(pool, async (client) => {
    const rows = await select(client);
    for (const row of rows) {
      const key = unwrapKey(masters, row.binding, row.wrapped_key);
      await update(client, row, wrapKey(masters.current, row.binding, key));
      key.fill(0);
    }
    return rows.length;
  });
}

/**
 * Rewraps every stored key not yet wrapped by the current MASTER_KEY (account data keys, then
 * system keys such as the phone-hash key), in batches. Idempotent: a second run finds nothing to do,
 * and an interrupted run resumes where it stopped. The keys themselves do not change, so nothing
 * sealed under them is re-encrypted and phone hashes stay the same.
 */
export async function rotateMasterKey(pool: Pool, masters: MasterKeys, batchSize = 500): Promise<RotationResult> {
  const current = masters.current.id;
  let dataKeys = 0;
  for (;;) {
    const n = await rewrapBatch(
      pool,
      masters,
      async (client) => {
        const { rows } = await client.query<{ account_id: string; wrapped_key: Buffer; key_version: number }>(
          `select account_id, wrapped_key, key_version from account_data_keys
           where wrapped_key is not null and master_key_id is distinct from $1
           order by account_id limit $2 for update`,
          [current, batchSize],
        );
        return rows.map((r) => ({ id: r.account_id, wrapped_key: r.wrapped_key, binding: dataKeyBinding(r.account_id, r.key_version) }));
      },
      (client, row, wrapped) =>
        client.query('update account_data_keys set wrapped_key = $2, master_key_id = $3 where account_id = $1', [row.id, wrapped, current]),
    );
    dataKeys += n;
    if (n < batchSize) break;
  }
  const systemKeys = await rewrapBatch(
    pool,
    masters,
    async (client) => {
      const { rows } = await client.query<{ name: string; version: number; wrapped_key: Buffer }>(
        'select name, version, wrapped_key from system_keys where master_key_id <> $1 for update',
        [current],
      );
      return rows.map((r) => ({ id: `${r.name}:${r.version}`, wrapped_key: r.wrapped_key, binding: systemKeyBinding(r.name, r.version) }));
    },
    (client, row, wrapped) =>
      client.query('update system_keys set wrapped_key = $3, master_key_id = $4 where name = $1 and version = $2', [
        row.binding.owner,
        row.binding.version,
        wrapped,
        current,
      ]),
  );
  return { dataKeys, systemKeys };
}
