import type { Client } from '@temporalio/client';
import { RETENTION_SCHEDULE_ID, retentionWorkflow } from '../workflows/lifecycle/retention';
import { ProcessKindKey } from '../workflows/search-attributes';
import { ensureSchedule } from './ensure-schedule';
import { TASK_QUEUES } from './task-queues';

/** Creates the daily retention Schedule, or brings an existing one up to this definition; safe on every start. */
export function ensureRetentionSchedule(client: Client): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: RETENTION_SCHEDULE_ID,
    spec: { calendars: [{ hour: 2, minute: 41 }] }, // daily, 02:41 UTC: before the idempotency purge, off the hour
    action: {
      type: 'startWorkflow',
      workflowType: retentionWorkflow,
      workflowId: RETENTION_SCHEDULE_ID,
      taskQueue: TASK_QUEUES.maintenance,
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'retention' }],
    },
  });
}
