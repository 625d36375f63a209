import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { auditAnchorWorkflow } from '../workflows/audit-anchor';
import { ProcessKindKey } from '../workflows/search-attributes';
import { TASK_QUEUES } from './task-queues';

export const AUDIT_ANCHOR_SCHEDULE_ID = 'audit-anchor';

/** Creates the hourly anchoring Schedule, or brings an existing one up to this definition; safe on every start. */
export async function ensureAuditAnchorSchedule(client: Client): Promise<void> {
  // Hourly, 7 minutes past: a cut of the tail with its checkpoints goes unnoticed for at most this long.
  const spec = { intervals: [{ every: '1 hour' as const, offset: '7 minutes' as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: auditAnchorWorkflow,
    workflowId: AUDIT_ANCHOR_SCHEDULE_ID,
    taskQueue: TASK_QUEUES.maintenance,
    typedSearchAttributes: [{ key: ProcessKindKey, value: 'audit-anchor' }],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId: AUDIT_ANCHOR_SCHEDULE_ID, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(AUDIT_ANCHOR_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
}
