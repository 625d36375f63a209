import { ensureMessagePartitions } from './message-partitions';
import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { grantAppRole } from './app-role';
import { ensureDatabase } from './create-database';
import { entities } from './entities';
import { migrations } from './migrations';
import { DEFAULT_ACQUIRE_TIMEOUT_MS } from './pg-pool';

export function ormConfig(databaseUrl: string, poolMax = 10, acquireTimeoutMs = DEFAULT_ACQUIRE_TIMEOUT_MS) {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, silent: true },
    // tarn's own default waits 60 s for a free connection; callers give up sooner (the API answers 503).
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: acquireTimeoutMs },
    discovery: { warnWhenNoEntities: true },
    debug: false,
    allowGlobalContext: false,
  });
}

export async function openOrm(databaseUrl: string, poolMax?: number, acquireTimeoutMs?: number): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, poolMax, acquireTimeoutMs));
}

/**
 * Creates the database when missing, applies every migration as the owner, and grants the app's
 * role (the one `appUrl` logs in as) data access only: what each process start needs.
 */
export async function prepareDatabase(ownerUrl: string, appUrl: string): Promise<void> {
  await ensureDatabase(ownerUrl);
  const orm = await openOrm(ownerUrl);
  try {
    await orm.getMigrator().up();
    // Each deploy also makes sure the coming months of messages have their partitions (the daily retention run does too).
    await ensureMessagePartitions(orm.em.fork(), new Date());
  } finally {
    await orm.close();
  }
  await grantAppRole(ownerUrl, appUrl);
}
