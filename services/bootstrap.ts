import type { AppConfig } from '../config/env';
import { createPgPool } from '../db/pg-pool';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createLogger } from '../lib/logger';
import type { ServiceDeps } from './deps';
import { DataKeyring } from './keyring';

/** Everything a process needs to run services, built from the parsed config. */
export async function createServiceDeps(config: AppConfig, processName: string): Promise<ServiceDeps> {
  const keys = deriveMasterKeys(config.MASTER_KEY);
  return {
    config,
    orm: await openOrm(config.DATABASE_URL, config.DATABASE_POOL_MAX),
    pgPool: createPgPool(config.DATABASE_URL, config.PG_POOL_MAX),
    uploadPool: createPgPool(config.DATABASE_URL, config.IMPORT_UPLOAD_CONCURRENCY),
    keys,
    keyring: new DataKeyring(keys.wrapKey),
    logger: createLogger(config.LOG_LEVEL, processName),
  };
}

export async function closeServiceDeps(deps: ServiceDeps): Promise<void> {
  await deps.orm.close();
  await deps.pgPool.end();
  await deps.uploadPool.end();
}
