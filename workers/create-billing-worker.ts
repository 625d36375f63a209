import { Worker } from '@temporalio/worker';
import { createBillingActivities } from '../activities/billing';
import { createBillingProvider } from '../providers/billing/registry';
import { createEmailSender } from '../providers/email/registry';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';

/** Billing processes: the Stripe customer after sign-up, dunning. */
export function createBillingWorker(
  { connection, namespace, deps, workflowBundle }: WorkerOptions,
  activities = createBillingActivities({ deps, billing: createBillingProvider(deps.config), email: createEmailSender(deps.config) }),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.billing,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: 8,
  });
}
