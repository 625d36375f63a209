import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createImportActivities } from '../activities/import-activities';
import type { ServiceDeps } from '../services/deps';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ServiceDeps;
  /** Tests pass a bundle built once per run; processes bundle from source at start. */
  workflowBundle?: WorkflowBundleOption;
}

export function createImportWorker({ connection, namespace, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.imports,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createImportActivities(deps),
    maxConcurrentActivityTaskExecutions: 4,
  });
}
