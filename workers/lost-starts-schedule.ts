import type { Client } from '@temporalio/client';
import { lostStartsWorkflow } from '../workflows/lost-starts';
import { ProcessKindKey } from '../workflows/search-attributes';
import { ensureSchedule } from './ensure-schedule';
import { TASK_QUEUES } from './task-queues';

export const LOST_STARTS_SCHEDULE_ID = 'lost-starts';

/** Creates the sweep of lost process starts (every 5 minutes), or brings an existing one up to this definition. */
export function ensureLostStartsSchedule(client: Client): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: LOST_STARTS_SCHEDULE_ID,
    // A lost start is found within 6 minutes (a row must be a minute old first): a day's deadline loses minutes at most.
    spec: { intervals: [{ every: '5 minutes' }] },
    action: {
      type: 'startWorkflow',
      workflowType: lostStartsWorkflow,
      workflowId: LOST_STARTS_SCHEDULE_ID,
      taskQueue: TASK_QUEUES.maintenance,
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'lost-starts' }],
    },
  });
}
