import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';
import { createImportWorker } from './create-import-worker';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule';
import { createMaintenanceWorker } from './create-maintenance-worker';
import { createWebhookWorker } from './create-webhook-worker';
import { ensureWebhookDeliveriesWorkflow } from './webhook-deliveries-workflow';
import { ensureIdempotencyPurgeSchedule } from './idempotency-purge-schedule';
import { connectClient, connectWorker } from './temporal-connection';
import { installTemporalRuntime } from './temporal-runtime';

/** Worker process: polls every task queue this deployment serves until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.LOG_LEVEL);
  const deps = await createServiceDeps(config, 'worker');
  const connection = await connectWorker(config);
  // Both task queues run the same workflow code: bundle it once, not once per worker.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: Runtime.instance().logger });
  const options = { connection, namespace: config.TEMPORAL_NAMESPACE, deps, workflowBundle };
  const worker = await createImportWorker(options);
  const maintenance = await createMaintenanceWorker(options);
  const webhooks = await createWebhookWorker(options);
  const clientConnection = await connectClient(config);
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  await ensureIdempotencyPurgeSchedule(client);
  await ensureAuditAnchorSchedule(client);
  await ensureWebhookDeliveriesWorkflow(client);
  await clientConnection.close();
  deps.logger.info({ taskQueues: [worker.options.taskQueue, maintenance.options.taskQueue, webhooks.options.taskQueue] }, 'worker started');
  await Promise.all([worker.run(), maintenance.run(), webhooks.run()]);
  await connection.close();
  await closeServiceDeps(deps);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
