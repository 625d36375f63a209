import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';
import { createCampaignWorker } from './create-campaign-worker';
import { createImportWorker } from './create-import-worker';
import { createLifecycleWorker } from './create-lifecycle-worker';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule';
import { createMaintenanceWorker } from './create-maintenance-worker';
import { createMessagingWorker, ensureDispatchWorkflows } from './create-messaging-worker';
import { createSmsCarriers } from '../providers/sms/registry';
import { createWebhookWorker } from './create-webhook-worker';
import { createNoticesWorker } from './create-notices-worker';
import { ensureWebhookDeliveriesWorkflow } from './webhook-deliveries-workflow';
import { ensureIdempotencyPurgeSchedule } from './idempotency-purge-schedule';
import { ensureRetentionSchedule } from './retention-schedule';
import { createDsrWorker } from './create-dsr-worker';
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
  // The send path runs where carriers are configured (npm run dev points them at the simulator).
  const sendsMessages = Boolean(config.TELNYX_API_KEY || config.TWILIO_ACCOUNT_SID);
  const messaging = sendsMessages ? await createMessagingWorker({ ...options, carriers: createSmsCarriers(config) }) : undefined;
  const webhooks = await createWebhookWorker(options);
  const campaigns = await createCampaignWorker(options);
  const notices = await createNoticesWorker(options);
  const dsr = await createDsrWorker(options);
  // Kept open while the workers run: lifecycle activities steer other workflows through it.
  const clientConnection = await connectClient(config);
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const lifecycle = await createLifecycleWorker({ ...options, temporal: client });
  await ensureIdempotencyPurgeSchedule(client);
  await ensureAuditAnchorSchedule(client);
  await ensureRetentionSchedule(client);
  if (messaging) await ensureDispatchWorkflows(client, config);
  await ensureWebhookDeliveriesWorkflow(client);
  const workers = [worker, maintenance, webhooks, campaigns, notices, dsr, lifecycle, ...(messaging ? [messaging] : [])];
  deps.logger.info({ taskQueues: workers.map((w) => w.options.taskQueue) }, 'worker started');
  await Promise.all(workers.map((w) => w.run()));
  await clientConnection.close();
  await connection.close();
  await closeServiceDeps(deps);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
