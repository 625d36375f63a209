import { proxyActivities } from '@temporalio/workflow';
import type { IdempotencyActivities } from '../activities/idempotency-activities';

const { purgeExpiredIdempotencyKeys } = proxyActivities<IdempotencyActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

/** Run daily by a Schedule: deletes expired Idempotency-Keys and reports how many went. */
export async function purgeIdempotencyKeysWorkflow(): Promise<{ purged: number }> {
  return { purged: await purgeExpiredIdempotencyKeys() };
}
