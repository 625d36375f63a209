import type { AppConfig } from '../config/env';
import { createPgPool } from '../db/pg-pool';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createLogger } from '../lib/logger';
import { configureAuditLog } from './audit-log';
import type { ServiceDeps } from './deps';
import { DataKeyring } from './keyring';

/** Everything a process needs to run services, built from the parsed config. */
export async function createServiceDeps(config: AppConfig, processName: string): Promise<ServiceDeps> {
  const keys = deriveMasterKeys(config.MASTER_KEY);
  configureAuditLog(keys.auditMacKey, config.AUDIT_CHECKPOINT_EVERY);
  return {
    config,
    orm: await openOrm(config.DATABASE_URL, config.DATABASE_POOL_MAX),
    pgPool: createPgPool(config.DATABASE_URL),
    keys,
    keyring: new DataKeyring(keys.wrapKey),
    logger: createLogger(config.LOG_LEVEL, processName),
  };
}

export async function closeServiceDeps(deps: ServiceDeps): Promise<void> {
  await deps.orm.close();
  await deps.pgPool.end();
}
