import type { Client } from '@temporalio/client';
import { MESSAGES_SENT_DAILY_SCHEDULE_ID, messagesSentDailyWorkflow } from '../workflows/messages-sent-daily';
import { ensureSchedule } from './ensure-schedule';
import { TASK_QUEUES } from './task-queues';

/** Creates the daily messages_sent_daily Schedule, or brings an existing one up to this definition; safe on every start. */
export function ensureMessagesSentDailySchedule(client: Client): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: MESSAGES_SENT_DAILY_SCHEDULE_ID,
    spec: { calendars: [{ hour: 0, minute: 23 }] }, // daily, 00:23 UTC: the day before is complete, off the hour
    action: {
      type: 'startWorkflow',
      workflowType: messagesSentDailyWorkflow,
      workflowId: MESSAGES_SENT_DAILY_SCHEDULE_ID,
      taskQueue: TASK_QUEUES.maintenance,
    },
  });
}
