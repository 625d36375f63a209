import type { Client } from '@temporalio/client';
import { purgeIdempotencyKeysWorkflow } from '../workflows/purge-idempotency-keys';
import { ensureSchedule } from './ensure-schedule';
import { TASK_QUEUES } from './task-queues';

export const IDEMPOTENCY_PURGE_SCHEDULE_ID = 'idempotency-keys-purge';

/** Creates the daily purge Schedule, or brings an existing one up to this definition; safe on every start. */
export function ensureIdempotencyPurgeSchedule(client: Client): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: IDEMPOTENCY_PURGE_SCHEDULE_ID,
    spec: { calendars: [{ hour: 3, minute: 17 }] }, // daily, 03:17 UTC: off the hour, when traffic is low
    action: {
      type: 'startWorkflow',
      workflowType: purgeIdempotencyKeysWorkflow,
      workflowId: IDEMPOTENCY_PURGE_SCHEDULE_ID,
      taskQueue: TASK_QUEUES.maintenance,
    },
  });
}
