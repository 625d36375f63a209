import type { AppConfig } from '../config/env';
import { createPgPool } from '../db/pg-pool';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createLogger } from '../lib/logger';
import { configureAuditLog } from './audit-log';
import type { ServiceDeps } from './deps';
import { DataKeyring } from './keyring';
import { loadAuditMacKey, loadAuthDigestKey, loadPhoneHashKey, loadStaffTotpKey } from './system-keys';

/** Everything a process needs to run services, built from the parsed config. */
export async function createServiceDeps(config: AppConfig, processName: string): Promise<ServiceDeps> {
  const master = deriveMasterKeys(config.MASTER_KEY, config.MASTER_KEY_PREVIOUS);
  const orm = await openOrm(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  const pgPool = createPgPool(config.DATABASE_URL, config.PG_POOL_MAX);
  const uploadPool = createPgPool(config.DATABASE_URL, config.IMPORT_UPLOAD_CONCURRENCY);
  try {
    const phoneHashKey = await loadPhoneHashKey(pgPool, master, config.MASTER_KEY);
    const auditMacKey = await loadAuditMacKey(pgPool, master, config.MASTER_KEY);
    const staffTotpKey = await loadStaffTotpKey(pgPool, master, config.MASTER_KEY);
    const authDigestKey = await loadAuthDigestKey(pgPool, master);
    configureAuditLog(auditMacKey, config.AUDIT_CHECKPOINT_EVERY);
    return {
      config,
      orm,
      pgPool,
      uploadPool,
      keys: { master, phoneHashKey, auditMacKey, staffTotpKey, authDigestKey },
      keyring: new DataKeyring(master, {
        ttlMs: config.KEYRING_CACHE_TTL_SECONDS * 1000,
        maxEntries: config.KEYRING_CACHE_MAX_ENTRIES,
      }),
      logger: createLogger(config.LOG_LEVEL, processName),
    };
  } catch (err) {
    await orm.close();
    await pgPool.end();
    await uploadPool.end();
    throw err;
  }
}

export async function closeServiceDeps(deps: ServiceDeps): Promise<void> {
  await deps.orm.close();
  await deps.pgPool.end();
  await deps.uploadPool.end();
}
