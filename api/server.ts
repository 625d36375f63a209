import { getHeapStatistics } from 'node:v8';
import { Client } from '@temporalio/client';
import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { connectClient } from '../workers/temporal-connection';
import { createApp } from './app';
import { API_HEAP_FLAG } from './heap-budget';

/** The budget's old space plus young generation and slack; above this the flag was not given. */
const HEAP_BUDGET_WARN_BYTES = 512 * 1024 * 1024;

/** API process: listens on PORT until SIGINT/SIGTERM, then drains and closes its connections. */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = await createServiceDeps(config, 'api');
  if (getHeapStatistics().heap_size_limit > HEAP_BUDGET_WARN_BYTES) {
    deps.logger.warn(`the API runs without its heap budget: start it with NODE_OPTIONS=${API_HEAP_FLAG} (docs/ARCHITECTURE.md)`);
  }
  const connection = await connectClient(config);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({ ...deps, temporal });
  const server = app.listen(config.PORT, () => deps.logger.info({ port: config.PORT }, 'api listening'));
  // Node's own limit (5 minutes) would cut long uploads without a problem body; ours answers first.
  server.requestTimeout = (config.IMPORT_UPLOAD_TIMEOUT_SECONDS + 60) * 1000;
  const stop = () => {
    server.close(async () => {
      await connection.close();
      await closeServiceDeps(deps);
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
