import type { MikroORM } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/env';
import type { MasterKeys } from '../lib/crypto/keys';
import type { DataKeyring } from './keyring';
import type { ProductAnalytics } from './analytics/product-analytics';

/** The master keys this process was configured with and the (stored, unwrapped) system keys. */
export interface ProcessKeys {
  master: MasterKeys;
  phoneHashKey: Buffer;
  /** Keys the audit log's MAC chain and checkpoints; stored wrapped, so it outlives MASTER_KEY rotations. */
  auditMacKey: Buffer;
  /** Seals staff users' TOTP secrets; stored wrapped like the other system keys. */
  staffTotpKey: Buffer;
  /** Keys the HMAC digests API keys are stored by and the rate-limit store's keys (services/auth/auth-digest.ts). */
  authDigestKey: Buffer;
}

/** What services need from the outside world; built once per process (api/server.ts, workers/worker.ts). */
export interface ServiceDeps {
  config: AppConfig;
  orm: MikroORM;
  /** Plain pg connections (COPY, chunk reads and writes); PG_POOL_MAX per process. */
  pgPool: Pool;
  /** The API's upload COPYs only; IMPORT_UPLOAD_CONCURRENCY per process, so uploads cannot starve pgPool or the ORM. */
  uploadPool: Pool;
  /** Streamed exports (account, DSR) only; EXPORT_POOL_MAX per process, with statement and idle-in-transaction timeouts. */
  exportPool: Pool;
  keys: ProcessKeys;
  keyring: DataKeyring;
  logger: Logger;
  /** Pseudonymous product analytics (PostHog), consent checked at each capture; inert without POSTHOG_API_KEY. */
  analytics: ProductAnalytics;
}

export interface ApiDeps extends ServiceDeps {
  temporal: TemporalClient;
}
