import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookEndpoint, type WebhookEventType } from '../../db/entities/webhook-endpoint';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import type { ServiceDeps } from '../deps';
import { decodeCursor, findAccountPage, toPage, type PageRequest } from '../pagination';
import { eventIdOf } from './event-ids';
import { deliveryTimes, WebhookDeliveryStore, type AttemptRow } from './webhook-delivery-store';
import { generateWebhookSecret, sealWebhookSecret } from './webhook-secret';
import { checkWebhookUrl, WEBHOOK_DNS_TIMEOUT_MS, WebhookUrlRefused, type UrlRefusal, type WebhookUrlPolicy } from './webhook-url-policy';

/** Endpoints per account: each one multiplies every event into a delivery. */
export const MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT = 20;

const REFUSAL_TEXT: Record<UrlRefusal, string> = {
  not_https: 'must be an https URL',
  address_not_allowed: 'must resolve to public internet addresses only (no loopback, private, link-local or metadata addresses)',
  does_not_resolve: 'the host name does not resolve',
  dns_timeout: `the host name did not resolve within ${WEBHOOK_DNS_TIMEOUT_MS / 1000} s (no answer from DNS); try again later`,
  invalid_url: 'must be an absolute URL without credentials',
};

export interface WebhookEndpointView {
  id: string;
  url: string;
  eventTypes: WebhookEventType[];
  description: string | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const toView = (e: WebhookEndpoint): WebhookEndpointView => ({
  id: e.id,
  url: e.url,
  eventTypes: e.eventTypes,
  description: e.description ?? null,
  status: e.status,
  disabledReason: e.disabledReason ?? null,
  disabledAt: e.disabledAt?.toISOString() ?? null,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

const attemptView = (a: AttemptRow) => ({
  attempt: a.attempt_no,
  at: deliveryTimes.asDate(a.attempted_at).toISOString(),
  statusCode: a.status_code,
  error: a.error,
  durationMs: a.duration_ms,
});

export interface CreateWebhookEndpoint {
  url: string;
  eventTypes: WebhookEventType[];
  description?: string;
}

export interface UpdateWebhookEndpoint {
  url?: string;
  eventTypes?: WebhookEventType[];
  description?: string | null;
  /** 'active' enables a disabled endpoint again (its failure streak starts over). */
  status?: 'active' | 'disabled';
}

export class WebhookEndpointsService {
  private readonly store = new WebhookDeliveryStore();
  private readonly policy: WebhookUrlPolicy;

  constructor(private readonly deps: Pick<ServiceDeps, 'keyring' | 'config'>) {
    this.policy = { allowLoopback: deps.config.WEBHOOKS_ALLOW_LOOPBACK, dnsServers: deps.config.WEBHOOK_DNS_SERVERS };
  }

  private async checkedUrl(raw: string): Promise<string> {
    try {
      return (await checkWebhookUrl(raw, this.policy)).toString();
    } catch (err) {
      if (err instanceof WebhookUrlRefused) throw AppError.invalid('body.url', REFUSAL_TEXT[err.reason]);
      throw err;
    }
  }

  private async owned(em: EntityManager, actor: AccountActor, id: string): Promise<WebhookEndpoint> {
    const endpoint = await em.findOne(WebhookEndpoint, { id, accountId: actor.accountId });
    if (!endpoint) throw AppError.notFound('webhook endpoint');
    return endpoint;
  }

  /** The secret is in the answer once; stored only sealed under the account's data key. */
  async create(em: EntityManager, actor: AccountActor, input: CreateWebhookEndpoint) {
    const url = await this.checkedUrl(input.url);
    return em.transactional(async (tem) => {
      await tem.execute('select 1 from accounts where id = ? for update', [actor.accountId]);
      if ((await tem.count(WebhookEndpoint, { accountId: actor.accountId })) >= MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT) {
        throw new AppError('conflict', `an account has at most ${MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT} webhook endpoints; delete one first`);
      }
      const now = new Date();
      const id = uuidv7(now.getTime());
      const secret = generateWebhookSecret();
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const endpoint = tem.create(WebhookEndpoint, {
        id,
        accountId: actor.accountId,
        url,
        eventTypes: [...new Set(input.eventTypes)],
        secret: sealWebhookSecret(dataKey, id, secret),
        description: input.description ?? null,
        status: 'active',
        consecutiveFailures: 0,
        createdAt: now,
        updatedAt: now,
      });
      await tem.flush();
      await auditByKey(tem, actor, 'webhook_endpoint.created', { type: 'webhook_endpoint', id }, { eventTypes: endpoint.eventTypes });
      return { ...toView(endpoint), secret };
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string): Promise<WebhookEndpointView> {
    return toView(await this.owned(em, actor, id));
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    return toPage(await findAccountPage(em, WebhookEndpoint, actor.accountId, page), page.limit, toView);
  }

  async update(em: EntityManager, actor: AccountActor, id: string, input: UpdateWebhookEndpoint): Promise<WebhookEndpointView> {
    const url = input.url === undefined ? undefined : await this.checkedUrl(input.url);
    return em.transactional(async (tem) => {
      const endpoint = await this.owned(tem, actor, id);
      const now = new Date();
      const changed: string[] = [];
      if (url !== undefined && url !== endpoint.url) {
        endpoint.url = url;
        changed.push('url');
      }
      if (input.eventTypes) {
        endpoint.eventTypes = [...new Set(input.eventTypes)];
        changed.push('eventTypes');
      }
      if (input.description !== undefined) {
        endpoint.description = input.description;
        changed.push('description');
      }
      if (input.status === 'active' && endpoint.status === 'disabled') {
        Object.assign(endpoint, { status: 'active', disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null });
        await this.store.resumeDeliveries(tem, id, now);
        changed.push('enabled');
      } else if (input.status === 'disabled' && endpoint.status === 'active') {
        // Disabled by the customer: nobody needs an email about it.
        Object.assign(endpoint, { status: 'disabled', disabledReason: 'disabled_by_customer', disabledAt: now, disabledNotifiedAt: now });
        await this.store.parkDeliveries(tem, id);
        changed.push('disabled');
      }
      endpoint.updatedAt = now;
      await tem.flush();
      await auditByKey(tem, actor, 'webhook_endpoint.updated', { type: 'webhook_endpoint', id }, { changed });
      return toView(endpoint);
    });
  }

  /** Deleting an endpoint deletes its pending and past deliveries with it. */
  async remove(em: EntityManager, actor: AccountActor, id: string): Promise<void> {
    await em.transactional(async (tem) => {
      const deleted = await tem.nativeDelete(WebhookEndpoint, { id, accountId: actor.accountId });
      if (deleted === 0) throw AppError.notFound('webhook endpoint');
      await auditByKey(tem, actor, 'webhook_endpoint.deleted', { type: 'webhook_endpoint', id });
    });
  }

  /** A new secret at once (shown once); the old one stops signing with the next attempt. */
  async rotateSecret(em: EntityManager, actor: AccountActor, id: string) {
    return em.transactional(async (tem) => {
      const endpoint = await this.owned(tem, actor, id);
      const secret = generateWebhookSecret();
      endpoint.secret = sealWebhookSecret(await this.deps.keyring.keyFor(tem, actor.accountId), id, secret);
      endpoint.updatedAt = new Date();
      await tem.flush();
      await auditByKey(tem, actor, 'webhook_endpoint.secret_rotated', { type: 'webhook_endpoint', id });
      return { ...toView(endpoint), secret };
    });
  }

  /** An endpoint's deliveries, newest first, each with every attempt (status code or error class, never a response body). */
  async deliveries(em: EntityManager, actor: AccountActor, id: string, page: PageRequest) {
    await this.owned(em, actor, id);
    const rows = await this.store.deliveriesPage(em, actor.accountId, id, decodeCursor(page.cursor), page.limit + 1);
    const visible = rows.slice(0, page.limit);
    const attempts = await this.store.attemptsOf(
      em,
      id,
      visible.map((r) => r.event_id),
    );
    const byEvent = new Map<string, AttemptRow[]>();
    for (const a of attempts) byEvent.set(a.event_id, [...(byEvent.get(a.event_id) ?? []), a]);
    return toPage(
      rows.map((r) => ({ ...r, id: r.event_id })),
      page.limit,
      (r) => ({
        id: eventIdOf(r.event_id),
        eventType: r.event_type,
        status: r.status as 'pending' | 'delivered' | 'failed',
        attemptCount: r.attempts,
        nextAttemptAt: r.status === 'pending' ? (deliveryTimes.asOptionalDate(r.next_attempt_at)?.toISOString() ?? null) : null,
        lastStatusCode: r.last_status_code,
        lastError: r.last_error,
        createdAt: deliveryTimes.asDate(r.created_at).toISOString(),
        completedAt: deliveryTimes.asOptionalDate(r.completed_at)?.toISOString() ?? null,
        attempts: (byEvent.get(r.event_id) ?? []).map(attemptView),
      }),
    );
  }
}
