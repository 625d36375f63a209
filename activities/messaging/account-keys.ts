import type { DataKey } from '../../lib/crypto/sealed-field';
import { DataKeyDestroyedError } from '../../services/keyring';
import type { MessagingActivityDeps } from './messaging-deps';

/** The data keys of the accounts in a batch; a destroyed key is `null` (its messages can never be sent). */
export async function keysForAccounts(
  deps: Pick<MessagingActivityDeps, 'orm' | 'keyring'>,
  accountIds: Iterable<string>,
): Promise<Map<string, DataKey | null>> {
  const em = deps.orm.em.fork();
  const keys = new Map<string, DataKey | null>();
  for (const accountId of new Set(accountIds)) {
    try {
      keys.set(accountId, await deps.keyring.keyFor(em, accountId));
    } catch (err) {
      if (!(err instanceof DataKeyDestroyedError)) throw err;
      keys.set(accountId, null);
    }
  }
  return keys;
}
