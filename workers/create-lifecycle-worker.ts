import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createTerminationActivities } from '../activities/termination';
import { createBillingProvider } from '../providers/billing/registry';
import { createEmailSender } from '../providers/email/registry';
import { TerminationKey } from '../services/termination/termination-key';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

export interface LifecycleWorkerOptions extends WorkerOptions {
  /** Activities steer other workflows (cancel imports and campaigns) through this client. */
  temporal: Client;
  /** Rows per deletion batch (tests lower it to see many batches). */
  deletionBatchRows?: number;
}

/** Data-lifecycle processes (account termination; data subject requests and retention join here). */
export function createLifecycleWorker(
  { connection, namespace, deps, workflowBundle, temporal, deletionBatchRows }: LifecycleWorkerOptions,
  activities = createTerminationActivities({
    deps,
    temporal,
    email: createEmailSender(deps.config),
    terminationKey: new TerminationKey(deps.pgPool, deps.keys.master),
    billing: createBillingProvider(deps.config),
    batchRows: deletionBatchRows,
  }),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.lifecycle,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    // Deletion steps run one at a time per account; a few accounts at once at most.
    maxConcurrentActivityTaskExecutions: 4,
  });
}
