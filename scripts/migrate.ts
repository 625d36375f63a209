import { loadConfig } from '../config/env';
import { ensureDatabase } from '../db/create-database';
import { migrateToLatest, openOrm } from '../db/orm';
import { devEnvironment } from './dev-env';

async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  await ensureDatabase(config.DATABASE_URL);
  const orm = await openOrm(config.DATABASE_URL);
  await migrateToLatest(orm);
  await orm.close();
}

void main();
