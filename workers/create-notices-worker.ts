import { Worker } from '@temporalio/worker';
import { createNoticeActivities } from '../activities/notices';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

/** Breach, subprocessor and policy notice processes: few, long-lived workflows with email activities. */
export function createNoticesWorker(
  { connection, namespace, deps, workflowBundle }: WorkerOptions,
  activities = createNoticeActivities(deps),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.notices,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: 4,
  });
}
