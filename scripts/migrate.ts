import { loadConfig } from '../config/env';
import { prepareDatabase } from '../db/orm';
import { devEnvironment } from './dev-env';

async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  await prepareDatabase(config.DATABASE_URL);
}

void main();
