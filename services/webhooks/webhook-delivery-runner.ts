import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { User } from '../../db/entities/user';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { appendAudit } from '../audit-log';
import { webhookEndpointDisabledEmail, webhookEndpointDisabledKey } from '../email/templates/webhook-endpoint-disabled';
import { DataKeyDestroyedError, type DataKeyring } from '../keyring';
import { openDeliveryPayload } from './customer-events';
import { nextAttemptAfterFailure, shouldDisableEndpoint } from './delivery-policy';
import { eventIdOf } from './event-ids';
import { WebhookDeliveryStore, type ClaimedDelivery } from './webhook-delivery-store';
import { openWebhookSecret } from './webhook-secret';
import { sendWebhook, type WebhookAttemptOutcome } from './webhook-sender';
import type { WebhookUrlPolicy } from './webhook-url-policy';

/** Deliveries claimed per batch, and POSTs in flight at once. */
export const WEBHOOK_DELIVERY_BATCH = 100;
export const WEBHOOK_DELIVERY_CONCURRENCY = 16;
/** A claim's lease: longer than a batch can take (BATCH / CONCURRENCY × the 10 s attempt timeout, rounded up). */
export const WEBHOOK_CLAIM_LEASE_MS = 2 * 60 * 1000;
export const ENDPOINT_DISABLED_REASON = 'failing_for_24_hours';

export interface WebhookDeliveryRunnerDeps {
  orm: MikroORM;
  keyring: DataKeyring;
  logger: Logger;
  policy: WebhookUrlPolicy;
  /** Null when no email provider is configured: disabled-endpoint emails stay owed. */
  email: EmailSender | null;
  /** The scheduling clock (tests move it to the retry rules' real constants); signatures use the wall clock. */
  clock?: () => Date;
  /** Per attempt; tests shorten it to exercise a hung receiver. */
  attemptTimeoutMs?: number;
}

export interface DrainResult {
  claimed: number;
  delivered: number;
  retrying: number;
  failed: number;
  disabledEndpoints: number;
}

const is2xx = (o: WebhookAttemptOutcome) => o.statusCode !== null && o.statusCode >= 200 && o.statusCode < 300;

/** Claims due deliveries, POSTs them signed, records each attempt, and disables endpoints that keep failing. */
export class WebhookDeliveryRunner {
  private readonly store = new WebhookDeliveryStore();
  private readonly clock: () => Date;

  constructor(private readonly deps: WebhookDeliveryRunnerDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** One batch; `claimed` 0 means nothing was due. */
  async drainOnce(signal?: AbortSignal, limit = WEBHOOK_DELIVERY_BATCH): Promise<DrainResult> {
    const em = this.deps.orm.em.fork();
    const claimed = await this.store.claimDue(em, this.clock(), limit, WEBHOOK_CLAIM_LEASE_MS);
    const result: DrainResult = { claimed: claimed.length, delivered: 0, retrying: 0, failed: 0, disabledEndpoints: 0 };
    const keys = new Map<string, Promise<DataKey>>();
    const keyFor = (accountId: string) => {
      let key = keys.get(accountId);
      if (!key) keys.set(accountId, (key = this.deps.keyring.keyFor(this.deps.orm.em.fork(), accountId)));
      return key;
    };
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const delivery = claimed[next++]!;
        let outcome: { status: 'pending' | 'delivered' | 'failed'; disabled: boolean };
        try {
          outcome = await this.deliver(delivery, keyFor, signal);
        } catch (err) {
          // One row's failure never sinks the batch: it stays claimed and comes due again when its lease ends.
          const e = err as { name?: string; code?: string };
          this.deps.logger.error({ endpointId: delivery.endpointId, err: { type: e.name, code: e.code } }, 'webhook delivery not recorded');
          continue;
        }
        result[outcome.status === 'delivered' ? 'delivered' : outcome.status === 'failed' ? 'failed' : 'retrying']++;
        if (outcome.disabled) result.disabledEndpoints++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(WEBHOOK_DELIVERY_CONCURRENCY, claimed.length) }, worker));
    return result;
  }

  private async deliver(
    d: ClaimedDelivery,
    keyFor: (accountId: string) => Promise<DataKey>,
    signal: AbortSignal | undefined,
  ): Promise<{ status: 'pending' | 'delivered' | 'failed'; disabled: boolean }> {
    const em = this.deps.orm.em.fork();
    let secret: string;
    let payload: string;
    try {
      const dataKey = await keyFor(d.accountId);
      secret = openWebhookSecret(dataKey, d.endpointId, d.sealedSecret);
      payload = openDeliveryPayload(dataKey, d.eventUuid, d.payload);
    } catch (err) {
      if (!(err instanceof DataKeyDestroyedError)) throw err;
      await this.store.failWithoutAttempt(em, d.endpointId, d.eventUuid, 'data_key_destroyed', this.clock());
      return { status: 'failed', disabled: false };
    }
    const attemptedAt = this.clock();
    const outcome = await sendWebhook(
      { url: d.url, secret, eventId: eventIdOf(d.eventUuid), payload, signal },
      this.deps.policy,
      this.deps.attemptTimeoutMs,
    );
    const attemptNo = d.attempts + 1;
    const firstAttemptAt = d.firstAttemptAt ?? attemptedAt;
    const delivered = is2xx(outcome);
    const nextAttemptAt = delivered ? null : nextAttemptAfterFailure(firstAttemptAt, attemptNo, attemptedAt);
    const status = delivered ? 'delivered' : nextAttemptAt ? 'pending' : 'failed';
    let disabled = false;
    await em.transactional(async (tem) => {
      await this.store.recordAttempt(tem, {
        endpointId: d.endpointId,
        eventUuid: d.eventUuid,
        attemptNo,
        attemptedAt,
        statusCode: outcome.statusCode,
        error: outcome.error,
        durationMs: outcome.durationMs,
        status,
        nextAttemptAt,
        firstAttemptAt,
      });
      if (delivered) {
        await this.store.markEndpointHealthy(tem, d.endpointId);
        return;
      }
      const streak = await this.store.countEndpointFailure(tem, d.endpointId, attemptedAt);
      if (streak && shouldDisableEndpoint(streak.failingSince, streak.consecutiveFailures, attemptedAt)) {
        disabled = await this.store.disableEndpoint(tem, d.endpointId, ENDPOINT_DISABLED_REASON, attemptedAt);
        if (disabled) {
          await this.store.parkDeliveries(tem, d.endpointId);
          await appendAudit(
            tem,
            {
              actorType: 'system',
              accountId: streak.accountId,
              action: 'webhook_endpoint.disabled',
              targetType: 'webhook_endpoint',
              targetId: d.endpointId,
              details: { reason: ENDPOINT_DISABLED_REASON, consecutiveFailures: streak.consecutiveFailures },
            },
            attemptedAt,
          );
        }
      }
    });
    return { status, disabled };
  }

  /**
   * Emails the account's users about each endpoint disabled for failing, once: the idempotency key
   * is the endpoint and the time it was disabled, so a send retried after a crash is one email at
   * the provider; the endpoint is marked notified only after the provider took it.
   */
  async notifyDisabledEndpoints(limit = 20): Promise<number> {
    const em = this.deps.orm.em.fork();
    const owed = await this.store.disabledEndpointsToNotify(em, limit);
    if (owed.length === 0) return 0;
    if (!this.deps.email) {
      this.deps.logger.warn({ endpoints: owed.length }, 'webhook endpoints disabled, but no email provider is configured (RESEND_API_KEY)');
      return 0;
    }
    let sent = 0;
    for (const endpoint of owed) {
      const admins = await em.find(User, { accountId: endpoint.accountId }, { orderBy: { createdAt: 'asc' } });
      if (admins.length > 0) {
        const content = webhookEndpointDisabledEmail({ endpointId: endpoint.id, url: endpoint.url, disabledAt: endpoint.disabledAt });
        try {
          await this.deps.email.send({
            to: admins.map((u) => u.email),
            ...content,
            idempotencyKey: webhookEndpointDisabledKey(endpoint.id, endpoint.disabledAt),
            tags: [{ name: 'kind', value: 'webhook_endpoint_disabled' }],
          });
        } catch (err) {
          if (!(err instanceof EmailSendError)) throw err;
          this.deps.logger.warn({ endpointId: endpoint.id, code: err.code, statusCode: err.statusCode }, 'webhook-disabled email not sent');
          if (err.retryable) continue;
        }
      }
      await this.store.markDisabledNotified(em, endpoint.id, endpoint.disabledAt, this.clock());
      sent++;
    }
    return sent;
  }
}
