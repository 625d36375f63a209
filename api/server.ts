import { getHeapStatistics } from 'node:v8';
import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { createApp, deferredWorkOf } from './app';
import { drainServer, newDrainState } from './drain';
import { API_HEAP_FLAG } from './heap-budget';
import { createApiTemporalClient } from './temporal-client';

/** The budget's old space plus young generation and slack; above this the flag was not given. */
const HEAP_BUDGET_WARN_BYTES = 512 * 1024 * 1024;

/** API process: listens on PORT until SIGINT/SIGTERM, then drains its requests and connections and exits 0. */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = await createServiceDeps(config, 'api');
  if (getHeapStatistics().heap_size_limit > HEAP_BUDGET_WARN_BYTES) {
    deps.logger.warn(`the API runs without its heap budget: start it with NODE_OPTIONS=${API_HEAP_FLAG} (docs/ARCHITECTURE.md)`);
  }
  const { client: temporal, connection } = createApiTemporalClient(config);
  const drain = newDrainState();
  const app = createApp({ ...deps, temporal }, { drain });
  const server = app.listen(config.PORT, () => deps.logger.info({ port: config.PORT }, 'api listening'));
  // Node's own limit (5 minutes) would cut long uploads without a problem body; ours answers first.
  server.requestTimeout = (config.IMPORT_UPLOAD_TIMEOUT_SECONDS + 60) * 1000;
  const stop = async () => {
    deps.logger.info('api draining');
    const drained = await drainServer(server, drain, config.SHUTDOWN_GRACE_SECONDS * 1000);
    if (!drained)
      deps.logger.warn({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'requests still running at the end of the grace period were cut');
    await deferredWorkOf(app).idle(); // links requested before the drain still go out
    await connection.close();
    await closeServiceDeps(deps);
    deps.logger.info('api stopped');
    process.exit(0);
  };
  const stopOnce = () =>
    void stop().catch((err: unknown) => {
      deps.logger.error({ err }, 'api shutdown failed');
      process.exit(1);
    });
  process.once('SIGINT', stopOnce);
  process.once('SIGTERM', stopOnce);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
