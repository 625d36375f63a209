import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { grantAppRole } from './app-role';
import { ensureDatabase } from './create-database';
import { entities } from './entities';
import { migrations } from './migrations';

export function ormConfig(databaseUrl: string, poolMax = 10) {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, silent: true },
    pool: { min: 0, max: poolMax },
    discovery: { warnWhenNoEntities: true },
    debug: false,
    allowGlobalContext: false,
  });
}

export async function openOrm(databaseUrl: string, poolMax?: number): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, poolMax));
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
  } finally {
    await orm.close();
  }
  await grantAppRole(ownerUrl, appUrl);
}
