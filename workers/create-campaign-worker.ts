import { Worker } from '@temporalio/worker';
import { createCampaignActivities } from '../activities/campaigns';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

/** Campaign workflows and their activities (snapshot, pages into the outbox, status); no carrier calls. */
export function createCampaignWorker({ connection, namespace, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.campaigns,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createCampaignActivities(deps),
    maxConcurrentActivityTaskExecutions: 8,
  });
}
