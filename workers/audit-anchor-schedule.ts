import type { Client } from '@temporalio/client';
import { auditAnchorWorkflow } from '../workflows/audit-anchor';
import { ProcessKindKey } from '../workflows/search-attributes';
import { ensureSchedule } from './ensure-schedule';
import { TASK_QUEUES } from './task-queues';

export const AUDIT_ANCHOR_SCHEDULE_ID = 'audit-anchor';

/** Creates the hourly anchoring Schedule, or brings an existing one up to this definition; safe on every start. */
export function ensureAuditAnchorSchedule(client: Client): Promise<void> {
  return ensureSchedule(client, {
    scheduleId: AUDIT_ANCHOR_SCHEDULE_ID,
    // Hourly, 7 minutes past: a cut of the tail with its checkpoints goes unnoticed for at most this long.
    spec: { intervals: [{ every: '1 hour', offset: '7 minutes' }] },
    action: {
      type: 'startWorkflow',
      workflowType: auditAnchorWorkflow,
      workflowId: AUDIT_ANCHOR_SCHEDULE_ID,
      taskQueue: TASK_QUEUES.maintenance,
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'audit-anchor' }],
    },
  });
}
