import type { AppConfig } from '../config/env';
import { createPgPool } from '../db/pg-pool';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createLogger, type LogFileCopy } from '../lib/logger';
import { configureAuditLog } from './audit-log';
import type { ServiceDeps } from './deps';
import { DataKeyring } from './keyring';
import { loadAuditMacKey, loadAuthDigestKey, loadPhoneHashKey, loadStaffTotpKey } from './system-keys';

/** Everything a process needs to run services, built from the parsed config. */
export async function createServiceDeps(config: AppConfig, processName: string): Promise<ServiceDeps> {
  const master = deriveMasterKeys(config.MASTER_KEY, config.MASTER_KEY_PREVIOUS);
  const acquireTimeoutMs = config.DATABASE_ACQUIRE_TIMEOUT_MS;
  const orm = await openOrm(config.DATABASE_URL, config.DATABASE_POOL_MAX, acquireTimeoutMs);
  const pgPool = createPgPool(config.DATABASE_URL, config.PG_POOL_MAX, { acquireTimeoutMs });
  const uploadPool = createPgPool(config.DATABASE_URL, config.IMPORT_UPLOAD_CONCURRENCY, { acquireTimeoutMs });
  const exportPool = createExportPool(config);
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
      exportPool,
      keys: { master, phoneHashKey, auditMacKey, staffTotpKey, authDigestKey },
      keyring: new DataKeyring(master, {
        ttlMs: config.KEYRING_CACHE_TTL_SECONDS * 1000,
        maxEntries: config.KEYRING_CACHE_MAX_ENTRIES,
      }),
      logger: createLogger(config.LOG_LEVEL, processName, undefined, logFileCopy(config)),
    };
  } catch (err) {
    await orm.close();
    await pgPool.end();
    await uploadPool.end();
    await exportPool.end();
    throw err;
  }
}

export async function closeServiceDeps(deps: ServiceDeps): Promise<void> {
  await deps.orm.close();
  await deps.pgPool.end();
  await deps.uploadPool.end();
  await deps.exportPool.end();
}

/**
 * Long reads streamed to a client (account and DSR exports) get their own small pool, so slow or
 * stalled downloads can only ever occupy it; the server ends a statement or an idle transaction
 * that outlives the download's own stall cut-off (a backstop: the API cuts the download first).
 */
function createExportPool(config: AppConfig) {
  return createPgPool(config.DATABASE_URL, config.EXPORT_POOL_MAX, {
    acquireTimeoutMs: config.DATABASE_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: config.EXPORT_STATEMENT_TIMEOUT_SECONDS * 1000,
    idleInTransactionTimeoutMs: 2 * config.EXPORT_STALL_SECONDS * 1000,
  });
}

/** The config's LOG_FILE copy, when one is set. */
export function logFileCopy(config: Pick<AppConfig, 'LOG_FILE' | 'LOG_FILE_LEVEL'>): LogFileCopy | undefined {
  return config.LOG_FILE ? { path: config.LOG_FILE, level: config.LOG_FILE_LEVEL } : undefined;
}
