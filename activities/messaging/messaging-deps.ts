import type { MikroORM } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { CarrierId, SmsCarrier } from '../../providers/sms/carrier';
import type { DataKeyring } from '../../services/keyring';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../../services/messaging/carrier-breaker';
import type { RequeuePolicy } from '../../services/messaging/outbox-store';

/** The send path's tunables; every one is a named constant here and can be overridden in tests. */
export interface DispatchSettings {
  /** Carrier calls in flight per send activity. */
  sendConcurrency: number;
  /** A claim's lease; renewed by every send, so only an abandoned claim expires. */
  claimLeaseMs: number;
  /** How long an ambiguous attempt waits for its receipt before the carrier is asked. */
  reconcileWaitMs: number;
  /** When a lookup could not reach the carrier, ask again after this long. */
  lookupRetryMs: number;
  /** Claim polling interval while the outbox is empty. */
  idlePollMs: number;
  breaker: BreakerSettings;
  requeue: RequeuePolicy;
  /**
   * The send path's clock for quiet-hours windows and outbox times (claim, attempts, requeue). The
   * wall clock; a test shifts it to reach 20:00 in Florida without waiting for it.
   */
  clock: () => Date;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  sendConcurrency: 32,
  claimLeaseMs: 5 * 60_000,
  reconcileWaitMs: 30_000,
  lookupRetryMs: 10_000,
  idlePollMs: 100,
  breaker: DEFAULT_BREAKER_SETTINGS,
  requeue: { maxFailedAttempts: 10, baseBackoffMs: 1_000, maxBackoffMs: 5 * 60_000 },
  clock: () => new Date(),
};

export interface MessagingActivityDeps {
  orm: MikroORM;
  pgPool: Pool;
  keyring: DataKeyring;
  logger: Logger;
  carriers: Record<CarrierId, SmsCarrier>;
  publicBaseUrl: string;
  settings: DispatchSettings;
}
