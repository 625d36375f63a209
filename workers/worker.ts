import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { createImportWorker } from './create-import-worker';
import { connectWorker } from './temporal-connection';
import { installTemporalRuntime } from './temporal-runtime';

/** Worker process: polls every task queue this deployment serves until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.LOG_LEVEL);
  const deps = await createServiceDeps(config, 'worker');
  const connection = await connectWorker(config);
  const worker = await createImportWorker({ connection, namespace: config.TEMPORAL_NAMESPACE, deps });
  deps.logger.info({ taskQueue: worker.options.taskQueue }, 'worker started');
  await worker.run();
  await connection.close();
  await closeServiceDeps(deps);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
