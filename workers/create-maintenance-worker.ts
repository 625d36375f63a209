import { Worker } from '@temporalio/worker';
import { createIdempotencyActivities } from '../activities/idempotency-activities';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';

/** Housekeeping the Schedules start (today: the daily Idempotency-Key purge). */
export function createMaintenanceWorker({ connection, namespace, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.maintenance,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createIdempotencyActivities(deps),
    maxConcurrentActivityTaskExecutions: 1,
  });
}
