import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { holderEmails } from '../holders/memberships';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { appendAudit } from '../audit-log';
import { webhookEndpointDisabledEmail, webhookEndpointDisabledKey } from '../email/templates/webhook-endpoint-disabled';
import { DataKeyDestroyedError, type DataKeyring } from '../keyring';
import { openDeliveryPayload } from './customer-events';
import { nextAttemptAfterFailure, shouldDisableEndpoint, WEBHOOK_ATTEMPT_TIMEOUT_MS } from './delivery-policy';
import { EndpointSlots, type EndpointCaps } from './endpoint-slots';
import { eventIdOf } from './event-ids';
import { WebhookDeliveryStore, type ClaimedDelivery } from './webhook-delivery-store';
import { openWebhookSecret } from './webhook-secret';
import { sendWebhook, type WebhookAttemptOutcome } from './webhook-sender';
import type { WebhookUrlPolicy } from './webhook-url-policy';

/** A claim's lease: longer than any attempt and its recording (claimed rows start at once; an attempt times out after 10 s). */
export const WEBHOOK_CLAIM_LEASE_MS = 2 * 60 * 1000;
/** How often a running round looks for newly due rows while its slots are busy or nothing is due. */
export const WEBHOOK_CLAIM_POLL_MS = 250;
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
const emptyResult = (): DrainResult => ({ claimed: 0, delivered: 0, retrying: 0, failed: 0, disabledEndpoints: 0 });
const FIRST_ENDPOINT = '00000000-0000-0000-0000-000000000000';

/**
 * Where the next claim starts: after the last endpoint this one served in its round-robin order
 * (ids after `cursor` ascending, then from the start again).
 */
function nextTurn(cursor: string, claimed: ClaimedDelivery[]): string {
  if (claimed.length === 0) return cursor;
  const ids = [...new Set(claimed.map((d) => d.endpointId))].sort();
  const wrapped = ids.filter((id) => id <= cursor);
  return wrapped.length > 0 ? wrapped.at(-1)! : ids.at(-1)!;
}

/** Claims due deliveries, POSTs them signed, records each attempt, and disables endpoints that keep failing. */
export class WebhookDeliveryRunner {
  private readonly store = new WebhookDeliveryStore();
  private readonly clock: () => Date;
  /** Shared by every claim of this process, so per-endpoint limits hold across rounds. */
  private readonly slots = new EndpointSlots();
  /** The last endpoint served: the next claim starts after it (round-robin). */
  private cursor = FIRST_ENDPOINT;

  constructor(private readonly deps: WebhookDeliveryRunnerDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** One claim, delivered to the end (tests drive the retry rules with it); `claimed` 0 means nothing was due. */
  async drainOnce(signal?: AbortSignal): Promise<DrainResult> {
    const result = emptyResult();
    const keys = this.keyCache();
    const claimed = await this.claim(this.slots.free, this.slots.caps());
    await Promise.all(claimed.map((d) => this.deliverCounted(d, keys, result, signal)));
    return result;
  }

  /**
   * Delivers until `untilMs` (wall clock) as a pool that refills: each free slot takes the next due
   * row round-robin across endpoints (at most a few per endpoint, one for a slow one), so no delivery
   * waits for another's receiver. `progress` is called at least every WEBHOOK_CLAIM_POLL_MS (the
   * activity heartbeats from it). Past `untilMs` only endpoints with nothing in flight are served,
   * until what is in flight has settled (within an attempt's timeout): the round ends with nothing
   * in flight, and a slow receiver never holds the others back at a round's end either.
   */
  async runRound(untilMs: number, signal?: AbortSignal, progress?: (result: DrainResult) => void): Promise<DrainResult> {
    const result = emptyResult();
    const keys = this.keyCache();
    const inFlight = new Set<Promise<void>>();
    const lastClaimAt = untilMs + (this.deps.attemptTimeoutMs ?? WEBHOOK_ATTEMPT_TIMEOUT_MS);
    for (;;) {
      progress?.(result);
      const now = Date.now();
      const ending = now >= untilMs || signal?.aborted === true;
      if (ending && inFlight.size === 0) break;
      let claimed: ClaimedDelivery[] = [];
      if (now < lastClaimAt && !signal?.aborted && this.slots.free > 0) {
        claimed = await this.claim(this.slots.free, this.slots.caps(ending));
        for (const d of claimed) {
          const task = this.deliverCounted(d, keys, result, signal).finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
      }
      if (ending && inFlight.size === 0) break;
      // Wake when a slot frees or the poll interval passes, whichever comes first.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([...inFlight, new Promise((resolve) => (timer = setTimeout(resolve, WEBHOOK_CLAIM_POLL_MS)))]);
      clearTimeout(timer);
    }
    progress?.(result);
    return result;
  }

  private async claim(free: number, caps: EndpointCaps): Promise<ClaimedDelivery[]> {
    if (free === 0) return [];
    const claimed = await this.store.claimDue(
      this.deps.orm.em.fork(),
      this.clock(),
      { limit: free, after: this.cursor, caps },
      WEBHOOK_CLAIM_LEASE_MS,
    );
    this.cursor = nextTurn(this.cursor, claimed);
    for (const d of claimed) this.slots.start(d.endpointId);
    return claimed;
  }

  /** Data keys opened once per claim run or round, per account. */
  private keyCache(): (accountId: string) => Promise<DataKey> {
    const keys = new Map<string, Promise<DataKey>>();
    return (accountId) => {
      let key = keys.get(accountId);
      if (!key) keys.set(accountId, (key = this.deps.keyring.keyFor(this.deps.orm.em.fork(), accountId)));
      return key;
    };
  }

  /** One claimed row to its end, counted in `result`; its slot is freed however it ends. */
  private async deliverCounted(
    delivery: ClaimedDelivery,
    keyFor: (accountId: string) => Promise<DataKey>,
    result: DrainResult,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    result.claimed++;
    const started = performance.now();
    try {
      const outcome = await this.deliver(delivery, keyFor, signal);
      result[outcome.status === 'delivered' ? 'delivered' : outcome.status === 'failed' ? 'failed' : 'retrying']++;
      if (outcome.disabled) result.disabledEndpoints++;
    } catch (err) {
      // One row's failure never sinks the others: it stays claimed and comes due again when its lease ends.
      const e = err as { name?: string; code?: string };
      this.deps.logger.error({ endpointId: delivery.endpointId, err: { type: e.name, code: e.code } }, 'webhook delivery not recorded');
    } finally {
      this.slots.finish(delivery.endpointId, performance.now() - started);
    }
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
      const admins = await holderEmails(em, endpoint.accountId);
      if (admins.length > 0) {
        const content = webhookEndpointDisabledEmail({ endpointId: endpoint.id, url: endpoint.url, disabledAt: endpoint.disabledAt });
        try {
          await this.deps.email.send({
            to: admins,
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
