import { Worker } from '@temporalio/worker';
import { createWebhookDeliveryActivities } from '../activities/webhooks/webhook-delivery-activities';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

/** Customer-webhook delivery: its own queue, so a long drain never holds up the maintenance jobs. */
export function createWebhookWorker(
  { connection, namespace, deps, workflowBundle }: WorkerOptions,
  activities = createWebhookDeliveryActivities(deps),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.webhooks,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: 2,
  });
}
