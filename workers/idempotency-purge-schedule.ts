import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { purgeIdempotencyKeysWorkflow } from '../workflows/purge-idempotency-keys';
import { TASK_QUEUES } from './task-queues';

export const IDEMPOTENCY_PURGE_SCHEDULE_ID = 'idempotency-keys-purge';

/** Creates the daily purge Schedule, or brings an existing one up to this definition; safe on every start. */
export async function ensureIdempotencyPurgeSchedule(client: Client): Promise<void> {
  const spec = { calendars: [{ hour: 3, minute: 17 }] }; // daily, 03:17 UTC: off the hour, when traffic is low
  const action = {
    type: 'startWorkflow' as const,
    workflowType: purgeIdempotencyKeysWorkflow,
    workflowId: IDEMPOTENCY_PURGE_SCHEDULE_ID,
    taskQueue: TASK_QUEUES.maintenance,
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId: IDEMPOTENCY_PURGE_SCHEDULE_ID, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(IDEMPOTENCY_PURGE_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
}
