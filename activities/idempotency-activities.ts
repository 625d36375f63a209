import { Context } from '@temporalio/activity';
import type { ServiceDeps } from '../services/deps';
import { IdempotencyStore } from '../services/idempotency/idempotency-store';

/** Rows per delete: each batch is a short statement, so the purge never holds many locks for long. */
export const IDEMPOTENCY_PURGE_BATCH = 1000;

export function createIdempotencyActivities(deps: Pick<ServiceDeps, 'orm' | 'keyring'>) {
  const store = new IdempotencyStore(deps.keyring);
  return {
    /** Deleting is idempotent, so a retried attempt simply finds fewer rows. */
    async purgeExpiredIdempotencyKeys(): Promise<number> {
      return store.purgeExpired(deps.orm.em.fork(), IDEMPOTENCY_PURGE_BATCH, (purged) => Context.current().heartbeat(purged));
    },
  };
}

export type IdempotencyActivities = ReturnType<typeof createIdempotencyActivities>;
