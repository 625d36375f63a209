import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { inject } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig, type AppConfig } from '../../config/env';
import { startSendPathAfresh } from './outbox';
import { closeServiceDeps, createServiceDeps, logFileCopy } from '../../services/bootstrap';
import type { ServiceDeps } from '../../services/deps';
import { createLogger } from '../../lib/logger';
import { createCampaignWorker } from '../../workers/create-campaign-worker';
import { createImportWorker } from '../../workers/create-import-worker';
import { createBackgroundWorker } from '../../workers/background-worker';
import { createMessagingWorker, ensureDispatchWorkflows, type MessagingWorkerOptions } from '../../workers/create-messaging-worker';
import { createSmsCarriers } from '../../providers/sms/registry';
import { dispatchWorkflowId } from '../../workflows/messaging/dispatch';
import { installTemporalRuntime } from '../../workers/temporal-runtime';
import { LOG_DIR_ENV } from './log-scan';

export interface Harness {
  app: Express;
  deps: ServiceDeps;
  temporal: Client;
  config: AppConfig;
  close(): Promise<void>;
}

let logFiles = 0;

/** The environment a test process runs the product with: the run's database, Temporal and key. */
export function testEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const logDir = process.env[LOG_DIR_ENV];
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every line at info, whatever the console level, for the log scan (tests/support/log-scan.ts).
    ...(logDir ? { LOG_FILE: join(logDir, `${process.pid}-${(logFiles += 1)}.log`), LOG_FILE_LEVEL: 'info' } : {}),
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MASTER_KEY: inject('masterKey'),
    // Tests stand in for a proxy on loopback: X-Forwarded-For picks the client address of a request.
    TRUSTED_PROXIES: '127.0.0.1,::1',
    // Tests stop their workers and API processes at once (as before the drain existed); the shutdown tests ask for a grace period.
    SHUTDOWN_GRACE_SECONDS: '0',
    ...extra,
  };
}

/**
 * The real product in-process: API app (mounted without a port), services on the run's database,
 * and optionally the import and campaign workers on the run's Temporal server using the prebuilt workflow bundle.
 */
export interface HarnessOptions {
  worker?: boolean;
  importChunkRows?: number;
  env?: Record<string, string>;
  /** Receives every log line the API and worker write (at `logLevel`, default info), to check what logs may contain. */
  logLines?: string[];
  logLevel?: string;
  /** Runs the background queue's worker (account termination among its roles) on the run's Temporal server. */
  lifecycle?: boolean;
  /** Runs the send path (dispatcher shards and their activities) against the carriers `env` points at. */
  messaging?: boolean | { settings?: MessagingWorkerOptions['settings'] };
  /** Runs the notice processes (breach, subprocessor, policy) on the dev server; time-skipping tests use tests/support/notices.ts. */
  notices?: boolean;
  /** Runs the billing worker (Stripe customer after sign-up, dunning) against the Stripe `env` points at. */
  billing?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const config = loadConfig(testEnvironment(options.env));
  installTemporalRuntime(config.LOG_LEVEL, { shutdownSignals: [] });
  const deps = await createServiceDeps(config, 'test');
  if (options.logLines) {
    const lines = options.logLines;
    deps.logger = createLogger(options.logLevel ?? 'info', 'test', { write: (line: string) => void lines.push(line) }, logFileCopy(config));
  }
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({ ...deps, temporal }, { importChunkRows: options.importChunkRows });

  /** The import and campaign workers (`worker: true`) and the background queue's (lifecycle, notices or billing), each with its run. */
  const plainWorkers: { worker: Worker; running: Promise<void> }[] = [];
  let workerConnection: NativeConnection | undefined;
  const background = options.lifecycle || options.notices || options.billing;
  if (options.worker || background) {
    workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const workerOptions = {
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    };
    const workers = [
      ...(options.worker ? [await createImportWorker(workerOptions), await createCampaignWorker(workerOptions)] : []),
      ...(background ? [await createBackgroundWorker({ ...workerOptions, temporal })] : []),
    ];
    for (const worker of workers) plainWorkers.push({ worker, running: worker.run() });
  }
  let messagingWorker: Worker | undefined;
  let messagingRunning: Promise<void> | undefined;
  if (options.messaging) {
    await startSendPathAfresh(deps.pgPool);
    workerConnection ??= await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    messagingWorker = await createMessagingWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      carriers: createSmsCarriers(config),
      ...(typeof options.messaging === 'object' ? { settings: options.messaging.settings } : {}),
    });
    messagingRunning = messagingWorker.run();
    // A file whose worker processes started shards (with their own batch size) may have left them
    // running; attaching to those would run this file with another file's settings.
    await terminateDispatchShards(temporal, 'a new test harness starts its own');
    await ensureDispatchWorkflows(temporal, config);
  }

  return {
    app,
    deps,
    temporal,
    config,
    async close() {
      if (messagingWorker && messagingRunning) {
        // The shards are this file's: the next test file starts its own against its own simulator.
        await terminateDispatchShards(temporal, 'test harness closed');
        messagingWorker.shutdown();
        await messagingRunning;
      }
      for (const { worker, running } of plainWorkers) {
        worker.shutdown();
        await running;
      }
      await workerConnection?.close();
      await connection.close();
      await closeServiceDeps(deps);
    },
  };
}

/** More shards than any test or the default configures. */
const MAX_TEST_SHARDS = 8;

async function terminateDispatchShards(temporal: Client, reason: string): Promise<void> {
  for (let shard = 0; shard < MAX_TEST_SHARDS; shard++) {
    await temporal.workflow
      .getHandle(dispatchWorkflowId(shard))
      .terminate(reason)
      .catch(() => undefined);
  }
}
