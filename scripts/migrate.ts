import { loadConfig } from '../config/env';
import { prepareDatabase } from '../db/orm';
import { devEnvironment, ownerUrl } from './dev-env';

async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  await prepareDatabase(ownerUrl(config), config.DATABASE_URL);
}

void main();
