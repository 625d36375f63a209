import { createHmac, randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { MasterKeys } from '../../lib/crypto/keys';
import type { AnalyticsSink } from '../../providers/analytics/posthog-sink';
import { ConsentsService } from '../holders/consents-service';
import { ANALYTICS_ID_KEY, loadSystemKey } from '../system-keys';
import { ANALYTICS_EVENTS, type AnalyticsEventName, type AnalyticsProperties } from './analytics-events';

export interface ProductAnalyticsDeps {
  orm: MikroORM;
  pgPool: Pool;
  masters: MasterKeys;
  logger: Logger;
  /** Null when no PostHog project is configured: nothing is captured. */
  sink: AnalyticsSink | null;
}

/**
 * Pseudonymous product analytics for account holders. Each capture reads the holder's
 * product_analytics consent at that moment and sends at once, so a withdrawal stops everything
 * after it; the distinct id is an HMAC of the holder id under a stored system key. Captures run
 * beside the request (never failing it); `idle()` waits for those in flight.
 */
export class ProductAnalytics {
  private readonly consents = new ConsentsService();
  private readonly pending = new Set<Promise<void>>();
  private idKey: Promise<Buffer> | null = null;

  constructor(private readonly deps: ProductAnalyticsDeps) {}

  get enabled(): boolean {
    return this.deps.sink !== null;
  }

  /** The pseudonymous id PostHog knows this holder by. */
  async distinctIdOf(userId: string): Promise<string> {
    this.idKey ??= loadSystemKey(this.deps.pgPool, this.deps.masters, ANALYTICS_ID_KEY.name, ANALYTICS_ID_KEY.version, () =>
      randomBytes(32),
    );
    return createHmac('sha256', await this.idKey)
      .update(`holder:${userId}`)
      .digest('base64url');
  }

  /** An event of this holder's own doing. */
  capture<E extends AnalyticsEventName>(userId: string, event: E, properties: AnalyticsProperties<E>): void {
    if (!this.deps.sink) return;
    this.track(() => this.send([userId], event, properties));
  }

  /** An event of an account's (an API key's doing): it counts for the account's owner. */
  captureForAccount<E extends AnalyticsEventName>(accountId: string, event: E, properties: AnalyticsProperties<E>): void {
    if (!this.deps.sink) return;
    this.track(async () => {
      const owners = await this.deps.orm.em
        .fork()
        .execute<{ id: string }[]>(
          `select user_id as id from account_memberships where account_id = ? and role = 'owner' order by created_at, user_id limit 1`,
          [accountId],
        );
      await this.send(
        owners.map((o) => o.id),
        event,
        properties,
      );
    });
  }

  /** Resolves once every capture started so far has been sent or dropped. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.deps.sink?.close();
  }

  private track(work: () => Promise<void>): void {
    const running = work()
      .catch((err: unknown) => this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'analytics capture failed'))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  private async send<E extends AnalyticsEventName>(userIds: string[], event: E, properties: AnalyticsProperties<E>): Promise<void> {
    const parsed = ANALYTICS_EVENTS[event].parse(properties) as Record<string, string | number | boolean>;
    const em = this.deps.orm.em.fork();
    for (const userId of userIds) {
      if (!(await this.consents.isGranted(em, userId, 'product_analytics'))) continue;
      await this.deps.sink!.send({ distinctId: await this.distinctIdOf(userId), event, properties: parsed });
    }
  }
}
