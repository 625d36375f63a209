import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { AppConfig } from '../config/env';
import { createMessagingActivities } from '../activities/messaging';
import { createNumberActivities } from '../activities/numbers';
import type { NumberCarriers } from '../providers/sms/numbers';
import { createNumberCarriers } from '../providers/sms/registry';
import { DEFAULT_DISPATCH_SETTINGS, type DispatchSettings } from '../activities/messaging/messaging-deps';
import type { CarrierId, SmsCarrier } from '../providers/sms/carrier';
import { dispatchShardOf, dispatchWorkflow, dispatchWorkflowId, retireDispatchSignal } from '../workflows/messaging/dispatch';
import { ProcessKindKey } from '../workflows/search-attributes';
import type { WorkerOptions } from './create-import-worker';
import { TASK_QUEUES } from './task-queues';
import { shutdownBounds } from './shutdown-bounds';

export interface MessagingWorkerOptions extends WorkerOptions {
  carriers: Record<CarrierId, SmsCarrier>;
  /** The carriers' number APIs (default: built from the config like `carriers`). */
  numberCarriers?: NumberCarriers;
  /** Tests shorten waits and lower thresholds; the config fills in the rest. */
  settings?: Partial<DispatchSettings>;
}

/** The settings a process runs with: the named defaults, the config's overrides, then the caller's. */
export function dispatchSettingsFrom(options: MessagingWorkerOptions): DispatchSettings {
  return { ...DEFAULT_DISPATCH_SETTINGS, reconcileWaitMs: options.deps.config.DISPATCH_RECONCILE_WAIT_MS, ...options.settings };
}

/** The send path (dispatcher workflows and their claim / send / reconcile activities) and the number order and release processes. */
export function createMessagingWorker(options: MessagingWorkerOptions): Promise<Worker> {
  const { connection, namespace, deps, workflowBundle, carriers } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.messaging,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: {
      ...createMessagingActivities({
        orm: deps.orm,
        pgPool: deps.pgPool,
        keyring: deps.keyring,
        logger: deps.logger,
        carriers,
        publicBaseUrl: deps.config.PUBLIC_BASE_URL,
        settings: dispatchSettingsFrom(options),
      }),
      ...createNumberActivities({ pgPool: deps.pgPool, numbers: options.numberCarriers ?? createNumberCarriers(deps.config) }),
    },
    // Per shard: one claim, a send per carrier, and a reconcile or requeue at once.
    maxConcurrentActivityTaskExecutions: 16,
  });
}

/**
 * Starts every dispatcher shard unless it is already running (and keeps it on if it was being
 * retired): safe on every worker start, so any number of workers can start at once. Running shards
 * beyond the configured count (DISPATCH_SHARDS was lowered) are retired: they finish what they hold
 * and complete. Returns the ids of the shards told to retire.
 */
export async function ensureDispatchWorkflows(
  client: Client,
  config: Pick<AppConfig, 'DISPATCH_SHARDS' | 'DISPATCH_BATCH_SIZE'>,
  probeSize = DEFAULT_DISPATCH_SETTINGS.breaker.probeSize,
): Promise<string[]> {
  for (let shard = 0; shard < config.DISPATCH_SHARDS; shard++) {
    await client.workflow.signalWithStart(dispatchWorkflow, {
      workflowId: dispatchWorkflowId(shard),
      staticSummary: `Outbox dispatcher shard ${shard} of ${config.DISPATCH_SHARDS}: claims up to ${config.DISPATCH_BATCH_SIZE} due messages at a time`,
      taskQueue: TASK_QUEUES.messaging,
      args: [{ shard, batchSize: config.DISPATCH_BATCH_SIZE, probeSize }],
      signal: retireDispatchSignal,
      signalArgs: [false],
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'dispatch' }],
    });
  }
  const retiring: string[] = [];
  for await (const wf of client.workflow.list({ query: `ProcessKind = 'dispatch' AND ExecutionStatus = 'Running'` })) {
    const shard = dispatchShardOf(wf.workflowId);
    if (shard === null || shard < config.DISPATCH_SHARDS) continue;
    await client.workflow.getHandle(wf.workflowId).signal(retireDispatchSignal, true);
    retiring.push(wf.workflowId);
  }
  return retiring;
}
