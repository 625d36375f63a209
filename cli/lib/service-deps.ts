import { loadConfig } from '../../config/env';
import { closeServiceDeps, createServiceDeps } from '../../services/bootstrap';
import type { ServiceDeps } from '../../services/deps';
import { devEnvironment } from '../../scripts/dev-env';

/**
 * For the commands that work on the database directly (bootstrapping the first admin, when no one
 * can sign in yet): the product's services with the environment's DATABASE_URL and MASTER_KEY
 * (in dev, the checkout's), closed afterwards.
 */
export async function withServiceDeps<T>(run: (deps: ServiceDeps) => Promise<T>): Promise<T> {
  const config = loadConfig(devEnvironment());
  const deps = await createServiceDeps({ ...config, LOG_LEVEL: 'warn' }, 'staff-cli');
  try {
    return await run(deps);
  } finally {
    await closeServiceDeps(deps);
  }
}
