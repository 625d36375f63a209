import { Worker } from '@temporalio/worker';
import { createAuditAnchorActivities } from '../activities/audit-anchor-activities';
import { createIdempotencyActivities } from '../activities/idempotency-activities';
import { createRetentionActivities } from '../activities/retention';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';

/** Housekeeping the Schedules start (the daily retention run and Idempotency-Key purge, the hourly audit anchor). */
export function createMaintenanceWorker({ connection, namespace, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.maintenance,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: { ...createIdempotencyActivities(deps), ...createAuditAnchorActivities(deps), ...createRetentionActivities(deps) },
    maxConcurrentActivityTaskExecutions: 1,
  });
}
