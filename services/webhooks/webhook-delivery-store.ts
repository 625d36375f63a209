import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import type { WebhookEventType } from '../../db/entities/webhook-endpoint';
import type { EndpointCaps } from './endpoint-slots';

/** The SQL of customer-webhook deliveries (claiming, outcomes, endpoint health, listing). */

const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;
/** The driver hands timestamptz back as text; a Date either way. */
const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const asOptionalDate = (v: Date | string | null): Date | null => (v === null ? null : asDate(v));

export interface NewDeliveries {
  endpointIds: string[];
  eventUuid: string;
  eventType: WebhookEventType;
  payload: Buffer;
  now: Date;
}

/** One sealed event of the send path's set-based publishing, for every subscribed endpoint of its account. */
export interface NewAccountEvent {
  accountId: string;
  eventUuid: string;
  payload: Buffer;
}

export interface ClaimedDelivery {
  endpointId: string;
  eventUuid: string;
  accountId: string;
  eventType: string;
  payload: Buffer;
  /** Attempts made before this one. */
  attempts: number;
  firstAttemptAt: Date | null;
  url: string;
  sealedSecret: Buffer;
}

export interface AttemptRecord {
  endpointId: string;
  eventUuid: string;
  attemptNo: number;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The delivery after this attempt. */
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
  firstAttemptAt: Date;
}

export interface DeliveryRow {
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | string | null;
  first_attempt_at: Date | string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date | string;
  completed_at: Date | string | null;
}

export interface AttemptRow {
  event_id: string;
  attempt_no: number;
  attempted_at: Date | string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface DisabledEndpointToNotify {
  id: string;
  accountId: string;
  url: string;
  disabledAt: Date;
  disabledReason: string | null;
}

export const deliveryTimes = { asDate, asOptionalDate };

export class WebhookDeliveryStore {
  /** The receipt path's one query when nothing is subscribed: an index lookup on active endpoints. */
  async activeEndpointIds(em: EntityManager, accountId: string, eventType: WebhookEventType): Promise<string[]> {
    const rows = await em.execute<{ id: string }[]>(
      `select id from webhook_endpoints where account_id = ? and status = 'active' and ? = any (event_types)`,
      [accountId, eventType],
    );
    return rows.map((r) => r.id);
  }

  /** One row per endpoint in one statement, due at once; a delivery belongs to its endpoint's account. */
  async insertDeliveries(em: EntityManager, d: NewDeliveries): Promise<void> {
    await em.execute(
      `insert into webhook_deliveries (endpoint_id, event_id, account_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       select e.id, ?, e.account_id, ?, ?, 'pending', 0, ?, ? from webhook_endpoints e where e.id = any (?::uuid[])
       on conflict do nothing`,
      [d.eventUuid, d.eventType, d.payload, d.now, d.now, uuidArray(d.endpointIds)],
    );
  }

  /**
   * The send path's one query per batch (plain pg, in its transaction): which of these accounts have an
   * active endpoint subscribed to `eventType`, through the partial index on active endpoints.
   */
  async subscribedAccounts(client: Pick<PoolClient, 'query'>, accountIds: string[], eventType: WebhookEventType): Promise<Set<string>> {
    const { rows } = await client.query<{ account_id: string }>(
      `select distinct account_id from webhook_endpoints where account_id = any ($1::uuid[]) and status = 'active' and $2 = any (event_types)`,
      [accountIds, eventType],
    );
    return new Set(rows.map((r) => r.account_id));
  }

  /**
   * Many events of one type, each to every active endpoint of its own account subscribed to it, in
   * one statement (plain pg, the send path's transaction); due at once, like insertDeliveries.
   */
  async insertAccountEvents(
    client: Pick<PoolClient, 'query'>,
    eventType: WebhookEventType,
    events: NewAccountEvent[],
    now: Date,
  ): Promise<void> {
    if (events.length === 0) return;
    await client.query(
      `insert into webhook_deliveries (endpoint_id, event_id, account_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       select e.id, x.event_id, e.account_id, $4, x.payload, 'pending', 0, $5, $5
         from unnest($1::uuid[], $2::uuid[], $3::bytea[]) as x (event_id, account_id, payload)
         join webhook_endpoints e on e.account_id = x.account_id and e.status = 'active' and $4 = any (e.event_types)
       on conflict do nothing`,
      [events.map((e) => e.eventUuid), events.map((e) => e.accountId), events.map((e) => e.payload), eventType, now],
    );
  }

  /**
   * Claims up to `limit` due deliveries of active endpoints, endpoint by endpoint: at most its cap
   * from each (`caps`, else `defaultCap`; 0 skips it), taking endpoints in id order from just after
   * `after` and wrapping around (round-robin), each endpoint's rows oldest due first. So a backlog
   * or a slow receiver of one endpoint never fills a claim. The claim is a lease: next_attempt_at
   * moves to the lease's end, so a drain that dies leaves its rows due again then (at-least-once;
   * receivers dedupe on webhook-id). Rows another drain holds are skipped, not waited for.
   */
  async claimDue(
    em: EntityManager,
    now: Date,
    claim: { limit: number; after: string; caps: EndpointCaps },
    leaseMs: number,
  ): Promise<ClaimedDelivery[]> {
    const { limit, after, caps } = claim;
    const capIds = uuidArray(caps.endpointIds);
    const capValues = `{${caps.caps.join(',')}}`;
    const endpoints = (from: string) => `
      select e.id, coalesce(c.cap, ?) as cap, ${from === '>' ? 0 : 1} as lap
      from webhook_endpoints e left join caps c on c.endpoint_id = e.id
      where e.status = 'active' and e.id ${from} ? and coalesce(c.cap, ?) > 0
        and exists (select 1 from webhook_deliveries d where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at <= ?)
      order by e.id
      limit ?`;
    const endpointArgs = [caps.defaultCap, after, caps.defaultCap, now, limit];
    const rows = await em.execute<
      {
        endpoint_id: string;
        event_id: string;
        account_id: string;
        event_type: string;
        payload: Buffer; // a pending delivery always has its payload
        attempts: number;
        first_attempt_at: Date | string | null;
        url: string;
        secret: Buffer;
      }[]
    >(
      `with caps as (
         select * from unnest(?::uuid[], ?::int[]) as c (endpoint_id, cap)
       ),
       turn as (
         select id, cap from ((${endpoints('>')}) union all (${endpoints('<=')})) t
         order by lap, id
         limit ?
       ),
       due as (
         select x.endpoint_id, x.event_id
         from turn cross join lateral (
           select d.endpoint_id, d.event_id
           from webhook_deliveries d
           where d.endpoint_id = turn.id and d.status = 'pending' and d.next_attempt_at <= ?
           order by d.next_attempt_at
           limit turn.cap
           for update of d skip locked
         ) x
         limit ?
       )
       update webhook_deliveries d
       set next_attempt_at = ?
       from due, webhook_endpoints e
       where d.endpoint_id = due.endpoint_id and d.event_id = due.event_id and e.id = d.endpoint_id
       returning d.endpoint_id, d.event_id, d.account_id, d.event_type, d.payload, d.attempts, d.first_attempt_at, e.url, e.secret`,
      [capIds, capValues, ...endpointArgs, ...endpointArgs, limit, now, limit, new Date(now.getTime() + leaseMs)],
    );
    return rows.map((r) => ({
      endpointId: r.endpoint_id,
      eventUuid: r.event_id,
      accountId: r.account_id,
      eventType: r.event_type,
      payload: r.payload,
      attempts: r.attempts,
      firstAttemptAt: asOptionalDate(r.first_attempt_at),
      url: r.url,
      sealedSecret: r.secret,
    }));
  }

  /** The attempt row and the delivery's new state, in one statement. A duplicate attempt number (two drains after a lease ran out) is kept once. */
  async recordAttempt(em: EntityManager, a: AttemptRecord): Promise<void> {
    await em.execute(
      `with attempt as (
         insert into webhook_delivery_attempts (endpoint_id, event_id, attempt_no, attempted_at, status_code, error, duration_ms)
         select ?, ?, ?, ?, ?, ?, ?
         where exists (select 1 from webhook_deliveries where endpoint_id = ? and event_id = ?)
         on conflict do nothing
       )
       update webhook_deliveries
       set attempts = greatest(attempts, ?), status = ?, next_attempt_at = ?, first_attempt_at = coalesce(first_attempt_at, ?),
           payload = case when ? then payload end,
           last_status_code = ?, last_error = ?, completed_at = ?
       where endpoint_id = ? and event_id = ? and status = 'pending'`,
      [
        a.endpointId,
        a.eventUuid,
        a.attemptNo,
        a.attemptedAt,
        a.statusCode,
        a.error,
        a.durationMs,
        a.endpointId,
        a.eventUuid,
        a.attemptNo,
        a.status,
        a.nextAttemptAt,
        a.firstAttemptAt,
        a.status === 'pending', // a finished delivery keeps no payload
        a.statusCode,
        a.error,
        a.status === 'pending' ? null : a.attemptedAt,
        a.endpointId,
        a.eventUuid,
      ],
    );
  }

  /** Gives a delivery up without an attempt (its account's data key is gone: the payload cannot be opened). */
  async failWithoutAttempt(em: EntityManager, endpointId: string, eventUuid: string, error: string, now: Date): Promise<void> {
    await em.execute(
      `update webhook_deliveries set status = 'failed', payload = null, last_error = ?, next_attempt_at = null, completed_at = ?
       where endpoint_id = ? and event_id = ? and status = 'pending'`,
      [error, now, endpointId, eventUuid],
    );
  }

  /** A delivered attempt clears the endpoint's failure streak; writes nothing when it is already clear (the common case). */
  async markEndpointHealthy(em: EntityManager, endpointId: string): Promise<void> {
    await em.execute(
      `update webhook_endpoints set consecutive_failures = 0, failing_since = null
       where id = ? and (consecutive_failures <> 0 or failing_since is not null)`,
      [endpointId],
    );
  }

  /** Counts a failed attempt against an active endpoint; null when the endpoint is no longer active. */
  async countEndpointFailure(
    em: EntityManager,
    endpointId: string,
    now: Date,
  ): Promise<{ accountId: string; consecutiveFailures: number; failingSince: Date } | null> {
    const rows = await em.execute<{ account_id: string; consecutive_failures: number; failing_since: Date | string }[]>(
      `update webhook_endpoints set consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, ?)
       where id = ? and status = 'active'
       returning account_id, consecutive_failures, failing_since`,
      [now, endpointId],
    );
    const row = rows[0];
    return row
      ? { accountId: row.account_id, consecutiveFailures: row.consecutive_failures, failingSince: asDate(row.failing_since) }
      : null;
  }

  /** Disables an active endpoint; false when it was not active (already disabled, or deleted). */
  async disableEndpoint(em: EntityManager, endpointId: string, reason: string, now: Date): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update webhook_endpoints set status = 'disabled', disabled_reason = ?, disabled_at = ?, disabled_notified_at = null, updated_at = ?
       where id = ? and status = 'active' returning id`,
      [reason, now, now, endpointId],
    );
    return rows.length === 1;
  }

  /** A disabled endpoint's pending deliveries wait unscheduled, so the due index never walks them. */
  async parkDeliveries(em: EntityManager, endpointId: string): Promise<void> {
    await em.execute(`update webhook_deliveries set next_attempt_at = null where endpoint_id = ? and status = 'pending'`, [endpointId]);
  }

  /** Enabled again: what was waiting is due now (the 3-day window still counts from each first attempt). */
  async resumeDeliveries(em: EntityManager, endpointId: string, now: Date): Promise<void> {
    await em.execute(`update webhook_deliveries set next_attempt_at = ? where endpoint_id = ? and status = 'pending'`, [now, endpointId]);
  }

  async disabledEndpointsToNotify(em: EntityManager, limit: number): Promise<DisabledEndpointToNotify[]> {
    const rows = await em.execute<
      { id: string; account_id: string; url: string; disabled_at: Date | string; disabled_reason: string | null }[]
    >(
      `select id, account_id, url, disabled_at, disabled_reason from webhook_endpoints
       where status = 'disabled' and disabled_notified_at is null and disabled_at is not null
       order by disabled_at limit ?`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      url: r.url,
      disabledAt: asDate(r.disabled_at),
      disabledReason: r.disabled_reason,
    }));
  }

  /** Only the disabling this email was about: if the endpoint was enabled and disabled again meanwhile, the new one still gets its email. */
  async markDisabledNotified(em: EntityManager, endpointId: string, disabledAt: Date, now: Date): Promise<void> {
    await em.execute(`update webhook_endpoints set disabled_notified_at = ? where id = ? and disabled_at = ?`, [
      now,
      endpointId,
      disabledAt,
    ]);
  }

  /** One page of an endpoint's deliveries, newest event first (event ids are uuidv7). */
  async deliveriesPage(
    em: EntityManager,
    accountId: string,
    endpointId: string,
    before: string | undefined,
    limit: number,
  ): Promise<DeliveryRow[]> {
    return em.execute<DeliveryRow[]>(
      `select endpoint_id, event_id, event_type, status, attempts, next_attempt_at, first_attempt_at, last_status_code, last_error,
              created_at, completed_at
       from webhook_deliveries
       where account_id = ? and endpoint_id = ? ${before ? 'and event_id < ?' : ''}
       order by event_id desc
       limit ?`,
      before ? [accountId, endpointId, before, limit] : [accountId, endpointId, limit],
    );
  }

  async attemptsOf(em: EntityManager, endpointId: string, eventUuids: string[]): Promise<AttemptRow[]> {
    if (eventUuids.length === 0) return [];
    return em.execute<AttemptRow[]>(
      `select event_id, attempt_no, attempted_at, status_code, error, duration_ms
       from webhook_delivery_attempts
       where endpoint_id = ? and event_id = any (?::uuid[])
       order by event_id, attempt_no`,
      [endpointId, uuidArray(eventUuids)],
    );
  }
}
