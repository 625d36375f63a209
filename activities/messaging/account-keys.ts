import type { PoolClient } from 'pg';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { DataKeyDestroyedError } from '../../services/keyring';
import type { MessagingActivityDeps } from './messaging-deps';

/**
 * The data keys of the accounts in a batch; a destroyed key is `null` (its messages can never be
 * sent). Inside a pg transaction pass its `client`: the key rows are then read on that connection.
 */
export async function keysForAccounts(
  deps: Pick<MessagingActivityDeps, 'orm' | 'keyring'>,
  accountIds: Iterable<string>,
  client?: Pick<PoolClient, 'query'>,
): Promise<Map<string, DataKey | null>> {
  const em = client ? undefined : deps.orm.em.fork();
  const keys = new Map<string, DataKey | null>();
  for (const accountId of new Set(accountIds)) {
    try {
      keys.set(accountId, await (client ? deps.keyring.keyForOnConnection(client, accountId) : deps.keyring.keyFor(em!, accountId)));
    } catch (err) {
      if (!(err instanceof DataKeyDestroyedError)) throw err;
      keys.set(accountId, null);
    }
  }
  return keys;
}
