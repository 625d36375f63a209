import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { Client } from '@temporalio/client';
import { createImportWorker } from './create-import-worker';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule';
import { createMaintenanceWorker } from './create-maintenance-worker';
import { ensureIdempotencyPurgeSchedule } from './idempotency-purge-schedule';
import { connectClient, connectWorker } from './temporal-connection';
import { installTemporalRuntime } from './temporal-runtime';

/** Worker process: polls every task queue this deployment serves until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.LOG_LEVEL);
  const deps = await createServiceDeps(config, 'worker');
  const connection = await connectWorker(config);
  const worker = await createImportWorker({ connection, namespace: config.TEMPORAL_NAMESPACE, deps });
  const maintenance = await createMaintenanceWorker({ connection, namespace: config.TEMPORAL_NAMESPACE, deps });
  const clientConnection = await connectClient(config);
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  await ensureIdempotencyPurgeSchedule(client);
  await ensureAuditAnchorSchedule(client);
  await clientConnection.close();
  deps.logger.info({ taskQueues: [worker.options.taskQueue, maintenance.options.taskQueue] }, 'worker started');
  await Promise.all([worker.run(), maintenance.run()]);
  await connection.close();
  await closeServiceDeps(deps);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
