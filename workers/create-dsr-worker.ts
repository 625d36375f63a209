import { Worker } from '@temporalio/worker';
import { createDsrActivities } from '../activities/dsr';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

/** Data subject requests (`dsr:<id>`): long timers, short activities. */
export function createDsrWorker({ connection, namespace, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.dsr,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createDsrActivities(deps),
    maxConcurrentActivityTaskExecutions: 4,
  });
}
