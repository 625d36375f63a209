import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createAnalyticsActivities } from '../activities/analytics-activities';
import { createAuditAnchorActivities } from '../activities/audit-anchor-activities';
import { createIdempotencyActivities } from '../activities/idempotency-activities';
import { createLostStartsActivities } from '../activities/lost-starts-activities';
import { createRetentionActivities } from '../activities/retention';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

/**
 * Housekeeping the Schedules start (the daily retention run and Idempotency-Key purge, the hourly audit
 * anchor, messages_sent_daily, the sweep of lost process starts, which starts workflows through `temporal`).
 */
export function createMaintenanceWorker({
  connection,
  namespace,
  deps,
  workflowBundle,
  temporal,
}: WorkerOptions & { temporal: Client }): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.maintenance,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: {
      ...createIdempotencyActivities(deps),
      ...createAuditAnchorActivities(deps),
      ...createRetentionActivities(deps),
      ...createLostStartsActivities({ ...deps, temporal }),
      ...createAnalyticsActivities(deps),
    },
    maxConcurrentActivityTaskExecutions: 1,
  });
}
