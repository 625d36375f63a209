import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { Client } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import { createCampaignWorker } from './create-campaign-worker';
import { createImportWorker } from './create-import-worker';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule';
import { createMessagingWorker, ensureDispatchWorkflows } from './create-messaging-worker';
import { createSmsCarriers } from '../providers/sms/registry';
import { ensureWebhookDeliveriesWorkflow } from './webhook-deliveries-workflow';
import { ensureIdempotencyPurgeSchedule } from './idempotency-purge-schedule';
import { ensureLostStartsSchedule } from './lost-starts-schedule';
import { ensureMessagesSentDailySchedule } from './messages-sent-daily-schedule';
import { ensureRetentionSchedule } from './retention-schedule';
import { ensureUsageReporterWorkflows } from './usage-reporter-workflows';
import { createBillingProvider } from '../providers/billing/registry';
import { createBackgroundActivities, createBackgroundWorker } from './background-worker';
import { RetiredQueuePollers } from './retired-queue-pollers';
import { connectClient, connectWorker, isTemporalUnreachable } from './temporal-connection';
import { waitAtStart } from '../lib/wait-at-start';
import { installTemporalRuntime } from './temporal-runtime';
import { SHUTDOWN_FORCE_AFTER_GRACE_MS } from './shutdown-bounds';
import { loadWorkflowBundle } from './workflow-bundle';
import { BACKGROUND_TASK_QUEUE, TASK_QUEUES } from './task-queues';
import { selectedRoles } from './worker-roles';

/** Worker process: polls the task queues of its roles (WORKER_ROLES, default all) until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.LOG_LEVEL);
  const billing = createBillingProvider(config);
  const meterId = config.STRIPE_METER_ID;
  // The send path runs where carriers are configured (npm run dev points them at the simulator), usage
  // reporting where Stripe and its meter are; until then usage rows wait, nothing is lost.
  const roles = selectedRoles(config.WORKER_ROLES, {
    messaging: Boolean(config.TELNYX_API_KEY || config.TWILIO_ACCOUNT_SID),
    usage: Boolean(billing && meterId),
    billing: Boolean(billing),
  });
  const deps = await createServiceDeps(config, 'worker');
  // Started while the Temporal server is down or restarting: wait for it (bounded) instead of exiting.
  const startWait = { waitMs: config.STARTUP_WAIT_SECONDS * 1000, logger: deps.logger };
  const connection = await waitAtStart('temporal', () => connectWorker(config), isTemporalUnreachable, startWait);
  // Every role runs the same workflow code: loaded (or bundled) once, not once per Worker.
  const workflowBundle = await loadWorkflowBundle(Runtime.instance().logger);
  const options = { connection, namespace: config.TEMPORAL_NAMESPACE, deps, workflowBundle };
  // Kept open while the workers run: lifecycle activities steer other workflows through it.
  const clientConnection = await waitAtStart('temporal', () => connectClient(config), isTemporalUnreachable, startWait);
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const queues = new Set(roles.map((role) => TASK_QUEUES[role]));
  const workers: Worker[] = [];
  let retired: RetiredQueuePollers | undefined;
  if (queues.has(TASK_QUEUES.imports)) workers.push(await createImportWorker(options));
  if (queues.has(TASK_QUEUES.campaigns)) workers.push(await createCampaignWorker(options));
  if (queues.has(TASK_QUEUES.messaging)) workers.push(await createMessagingWorker({ ...options, carriers: createSmsCarriers(config) }));
  if (queues.has(BACKGROUND_TASK_QUEUE)) {
    const background = { ...options, temporal: client, billing };
    const activities = createBackgroundActivities(background);
    workers.push(await createBackgroundWorker(background, BACKGROUND_TASK_QUEUE, activities));
    retired = new RetiredQueuePollers({
      client,
      logger: deps.logger,
      createWorker: (taskQueue) => createBackgroundWorker(background, taskQueue, activities),
    });
    await retired.start();
  }
  // What each role starts on the server: safe on every start of every process serving the role.
  if (roles.includes('maintenance')) {
    await ensureIdempotencyPurgeSchedule(client);
    await ensureAuditAnchorSchedule(client);
    await ensureRetentionSchedule(client);
    await ensureLostStartsSchedule(client);
    await ensureMessagesSentDailySchedule(client);
  }
  if (roles.includes('messaging')) await ensureDispatchWorkflows(client, config);
  if (roles.includes('webhooks')) await ensureWebhookDeliveriesWorkflow(client);
  if (roles.includes('usage')) await ensureUsageReporterWorkflows(client, config);
  deps.logger.info(
    { roles, taskQueues: workers.map((w) => w.options.taskQueue), retiredQueuesPolled: retired?.polled() ?? [] },
    'worker started',
  );
  // The SDK's runtime shuts every worker down on SIGTERM/SIGINT (activities get the grace period);
  // should one still not stop, the process ends anyway and Temporal retries what it held.
  const forceExit = () => {
    deps.logger.info({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'worker draining');
    setTimeout(
      () => {
        deps.logger.error('worker did not stop within its shutdown bound; exiting');
        process.exit(1);
      },
      config.SHUTDOWN_GRACE_SECONDS * 1000 + SHUTDOWN_FORCE_AFTER_GRACE_MS,
    ).unref();
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);
  await Promise.all(workers.map((w) => w.run()));
  await retired?.stop();
  await clientConnection.close();
  await connection.close();
  await closeServiceDeps(deps);
  deps.logger.info('worker stopped');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
