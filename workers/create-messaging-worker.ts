import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { AppConfig } from '../config/env';
import { createMessagingActivities } from '../activities/messaging';
import { DEFAULT_DISPATCH_SETTINGS, type DispatchSettings } from '../activities/messaging/messaging-deps';
import type { CarrierId, SmsCarrier } from '../providers/sms/carrier';
import { dispatchWorkflow, dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { ProcessKindKey } from '../workflows/search-attributes';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';

export interface MessagingWorkerOptions extends WorkerOptions {
  carriers: Record<CarrierId, SmsCarrier>;
  /** Tests shorten waits and lower thresholds; the config fills in the rest. */
  settings?: Partial<DispatchSettings>;
}

/** The settings a process runs with: the named defaults, the config's overrides, then the caller's. */
export function dispatchSettingsFrom(options: MessagingWorkerOptions): DispatchSettings {
  return { ...DEFAULT_DISPATCH_SETTINGS, reconcileWaitMs: options.deps.config.DISPATCH_RECONCILE_WAIT_MS, ...options.settings };
}

/** The send path: dispatcher workflows and their claim / send / reconcile activities. */
export function createMessagingWorker(options: MessagingWorkerOptions): Promise<Worker> {
  const { connection, namespace, deps, workflowBundle, carriers } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.messaging,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createMessagingActivities({
      orm: deps.orm,
      pgPool: deps.pgPool,
      keyring: deps.keyring,
      logger: deps.logger,
      carriers,
      publicBaseUrl: deps.config.PUBLIC_BASE_URL,
      settings: dispatchSettingsFrom(options),
    }),
    // Per shard: one claim, a send per carrier, and a reconcile or requeue at once.
    maxConcurrentActivityTaskExecutions: 16,
  });
}

/**
 * Starts every dispatcher shard unless it is already running: safe on every worker start, so any
 * number of workers can start at once. Shards beyond a lowered count keep draining until stopped.
 */
export async function ensureDispatchWorkflows(
  client: Client,
  config: Pick<AppConfig, 'DISPATCH_SHARDS' | 'DISPATCH_BATCH_SIZE'>,
  probeSize = DEFAULT_DISPATCH_SETTINGS.breaker.probeSize,
): Promise<void> {
  for (let shard = 0; shard < config.DISPATCH_SHARDS; shard++) {
    await client.workflow.start(dispatchWorkflow, {
      workflowId: dispatchWorkflowId(shard),
      taskQueue: TASK_QUEUES.messaging,
      args: [{ shard, batchSize: config.DISPATCH_BATCH_SIZE, probeSize }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'dispatch' }],
    });
  }
}
