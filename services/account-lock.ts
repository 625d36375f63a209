import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../lib/errors';

/**
 * The account lock that credential creation shares with termination: a share lock on the account row
 * until the caller's transaction ends. Termination takes the row's update lock before it revokes, so
 * a key or session being created is either committed first (and revoked by the termination) or
 * waits for the termination and is refused here. Many creations share the lock with each other.
 */
export async function requireActiveAccount(
  em: EntityManager,
  accountId: string,
  refusal: string,
  lock: 'share' | 'update' = 'share',
): Promise<void> {
  const [account] = await em.execute<{ status: string }[]>(
    `select status from accounts where id = ? for ${lock === 'update' ? 'update' : 'share'}`,
    [accountId],
  );
  if (account?.status !== 'active') throw new AppError('forbidden', `the account is ${account?.status ?? 'gone'}: ${refusal}`);
}
