import type { AppConfig } from '../config/env';
import { isDatabaseUnavailable } from '../db/connection-errors';
import { createPgPool } from '../db/pg-pool';
import { waitAtStart } from '../lib/wait-at-start';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createLogger, type LogFileCopy } from '../lib/logger';
import { configureAuditLog } from './audit-log';
import type { ServiceDeps } from './deps';
import { DataKeyring } from './keyring';
import { isAllowedEvent } from './analytics/analytics-events';
import { ProductAnalytics } from './analytics/product-analytics';
import { createAnalyticsSink } from '../providers/analytics/registry';
import { loadAuditMacKey, loadAuthDigestKey, loadPhoneHashKey, loadStaffTotpKey } from './system-keys';

/** Everything a process needs to run services, built from the parsed config. */
export async function createServiceDeps(config: AppConfig, processName: string): Promise<ServiceDeps> {
  const master = deriveMasterKeys(config.MASTER_KEY, config.MASTER_KEY_PREVIOUS);
  const acquireTimeoutMs = config.DATABASE_ACQUIRE_TIMEOUT_MS;
  const logger = createLogger(config.LOG_LEVEL, processName, undefined, logFileCopy(config));
  // A process started while PostgreSQL is down or restarting waits for it (bounded) instead of exiting.
  const startWait = { waitMs: config.STARTUP_WAIT_SECONDS * 1000, logger };
  const orm = await waitAtStart(
    'postgres',
    () => openOrm(config.DATABASE_URL, config.DATABASE_POOL_MAX, acquireTimeoutMs),
    isDatabaseUnavailable,
    startWait,
  );
  const pgPool = createPgPool(config.DATABASE_URL, config.PG_POOL_MAX, { acquireTimeoutMs });
  const uploadPool = createPgPool(config.DATABASE_URL, config.IMPORT_UPLOAD_CONCURRENCY, { acquireTimeoutMs });
  const exportPool = createExportPool(config);
  try {
    const { phoneHashKey, auditMacKey, staffTotpKey, authDigestKey } = await waitAtStart(
      'postgres',
      async () => ({
        phoneHashKey: await loadPhoneHashKey(pgPool, master, config.MASTER_KEY),
        auditMacKey: await loadAuditMacKey(pgPool, master, config.MASTER_KEY),
        staffTotpKey: await loadStaffTotpKey(pgPool, master, config.MASTER_KEY),
        authDigestKey: await loadAuthDigestKey(pgPool, master),
      }),
      isDatabaseUnavailable,
      startWait,
    );
    configureAuditLog(auditMacKey, config.AUDIT_CHECKPOINT_EVERY);
    for (const [name, pool] of Object.entries({ pgPool, uploadPool, exportPool })) {
      pool.on('error', (err: Error & { code?: string }) =>
        logger.warn({ pool: name, code: err.code }, 'an idle database connection was lost'),
      );
    }
    const analyticsSink = createAnalyticsSink(config, (e) => isAllowedEvent(e.event, e.properties), logger);
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
      logger,
      analytics: new ProductAnalytics({ orm, pgPool, masters: master, logger, sink: analyticsSink }),
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
  await deps.analytics.close();
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
