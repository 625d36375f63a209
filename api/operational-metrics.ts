import type { Client as TemporalClient } from '@temporalio/client';
import type { Pool } from 'pg';
import { Gauge, type Registry } from 'prom-client';
import type { ApiDeps } from '../services/deps';

/** Scrapes (several replicas, several Prometheus servers) share one reading this old at most. */
const SNAPSHOT_MAX_AGE_MS = 10_000;
/** A reading that takes longer is given up (its gauges keep their last values; `*_source_up` says 0). */
const READ_DEADLINE_MS = 3000;

/** Every long-running process kind (the `ProcessKind` search attribute), for the per-kind failure counts. */
export const PROCESS_KINDS = [
  'import',
  'campaign',
  'dispatch',
  'webhook-deliveries',
  'termination',
  'dsr',
  'retention',
  'breach',
  'policy',
  'subprocessor',
  'number_order',
  'number_release',
  'audit-anchor',
  'usage-report',
  'billing_customer',
  'dunning',
  'lost-starts',
] as const;

interface BacklogReading {
  outboxQueued: number;
  outboxOldestQueuedAgeSeconds: number;
  dispatcherLagSeconds: number;
  webhookPending: number;
  webhookOldestPendingAgeSeconds: number;
  deletionsPastAlertMark: number;
  usageUnreported: number;
  usageOldestUnreportedAgeSeconds: number;
  usageUnresolved: number;
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('metrics reading timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The backlogs, read from the database (whole deployment, not this process: alert on max() across
 * replicas). Each query walks a partial index of only what is waiting.
 */
async function readBacklogs(pool: Pool): Promise<BacklogReading> {
  const { rows } = await pool.query<{
    outbox_queued: number;
    outbox_oldest_s: number | null;
    dispatcher_lag_s: number | null;
    webhook_pending: number;
    webhook_oldest_s: number | null;
    deletions_late: number;
    usage_unreported: number;
    usage_oldest_s: number | null;
    usage_unresolved: number;
  }>(
    `select
       (select count(*)::int from messages where status = 'queued') as outbox_queued,
       (select extract(epoch from now() - min(created_at))::float8 from messages where status = 'queued') as outbox_oldest_s,
       (select extract(epoch from now() - min(next_attempt_at))::float8 from messages
         where status = 'queued' and next_attempt_at <= now()) as dispatcher_lag_s,
       (select count(*)::int from webhook_deliveries where status = 'pending') as webhook_pending,
       (select extract(epoch from now() - min(created_at))::float8 from webhook_deliveries where status = 'pending') as webhook_oldest_s,
       (select count(*)::int from account_terminations
         where (status in ('pending', 'deleting') and delete_by - interval '12 hours' <= now())
            or (status = 'deleting' and deletion_started_at <= now() - interval '1 hour')) as deletions_late,
       (select count(*)::int from usage_events where reported_at is null and unresolved_at is null) as usage_unreported,
       (select extract(epoch from now() - min(accepted_at))::float8 from usage_events
         where reported_at is null and unresolved_at is null) as usage_oldest_s,
       (select count(*)::int from usage_events where unresolved_at is not null and reported_at is null) as usage_unresolved`,
  );
  const r = rows[0]!;
  return {
    outboxQueued: r.outbox_queued,
    outboxOldestQueuedAgeSeconds: Math.max(0, r.outbox_oldest_s ?? 0),
    dispatcherLagSeconds: Math.max(0, r.dispatcher_lag_s ?? 0),
    webhookPending: r.webhook_pending,
    webhookOldestPendingAgeSeconds: Math.max(0, r.webhook_oldest_s ?? 0),
    deletionsPastAlertMark: r.deletions_late,
    usageUnreported: r.usage_unreported,
    usageOldestUnreportedAgeSeconds: Math.max(0, r.usage_oldest_s ?? 0),
    usageUnresolved: r.usage_unresolved,
  };
}

/** Failed or timed-out executions per process kind, as Temporal's visibility store counts them (within its retention). */
async function readWorkflowFailures(temporal: TemporalClient): Promise<Map<string, number>> {
  const counts = await Promise.all(
    PROCESS_KINDS.map(async (kind) => {
      const { count } = await temporal.workflow.count(`ProcessKind = '${kind}' AND ExecutionStatus IN ('Failed', 'TimedOut')`);
      return [kind, count] as const;
    }),
  );
  return new Map(counts);
}

/** A reading shared by every gauge of one scrape, refreshed at most every SNAPSHOT_MAX_AGE_MS. */
function cachedReading<T>(read: () => Promise<T>): () => Promise<T | null> {
  let last: { at: number; value: Promise<T | null> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > SNAPSHOT_MAX_AGE_MS) {
      last = { at: Date.now(), value: within(READ_DEADLINE_MS, read()).catch(() => null) };
    }
    return last.value;
  };
}

/** The ORM's (knex/tarn) pool: callers waiting for a connection. */
function ormWaiters(deps: ApiDeps): number {
  const knex = deps.orm.em.getConnection().getKnex() as unknown as { client?: { pool?: { numPendingAcquires(): number } } };
  return knex.client?.pool?.numPendingAcquires() ?? 0;
}

/**
 * What an operator alerts on (docs/OPERATIONS.md names each): pool waiters, outbox depth and age,
 * dispatcher lag, webhook backlog and each process kind's failures.
 */
export function registerOperationalMetrics(registry: Registry, deps: ApiDeps): void {
  const backlogs = cachedReading(() => readBacklogs(deps.pgPool));
  const failures = cachedReading(() => readWorkflowFailures(deps.temporal));
  const registers = [registry];

  new Gauge({
    name: 'massivesms_db_pool_waiters',
    help: 'Callers of this process waiting for a database connection, per pool',
    labelNames: ['pool'] as const,
    registers,
    collect() {
      this.set({ pool: 'orm' }, ormWaiters(deps));
      this.set({ pool: 'pg' }, deps.pgPool.waitingCount);
      this.set({ pool: 'upload' }, deps.uploadPool.waitingCount);
      this.set({ pool: 'export' }, deps.exportPool.waitingCount);
    },
  });

  const backlogGauge = (name: string, help: string, pick: (r: BacklogReading) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const r = await backlogs();
        if (r) this.set(pick(r));
      },
    });
  backlogGauge('massivesms_outbox_queued_messages', 'Messages waiting in the outbox (queued), whole deployment', (r) => r.outboxQueued);
  backlogGauge(
    'massivesms_outbox_oldest_queued_age_seconds',
    'Age of the oldest queued message (including ones waiting for their send window)',
    (r) => r.outboxOldestQueuedAgeSeconds,
  );
  backlogGauge(
    'massivesms_dispatcher_lag_seconds',
    'How long the oldest message that is due has been waiting for a dispatcher to claim it',
    (r) => r.dispatcherLagSeconds,
  );
  backlogGauge(
    'massivesms_webhook_backlog_deliveries',
    'Customer webhook deliveries not yet delivered or given up',
    (r) => r.webhookPending,
  );
  backlogGauge(
    'massivesms_webhook_oldest_pending_age_seconds',
    'Age of the oldest customer webhook delivery still pending',
    (r) => r.webhookOldestPendingAgeSeconds,
  );
  backlogGauge(
    'massivesms_deletions_past_alert_mark',
    'Account deletions not finished by their staff alert mark (12 h before delete_by, or deleting for over an hour)',
    (r) => r.deletionsPastAlertMark,
  );
  backlogGauge(
    'massivesms_usage_report_backlog',
    'Usage records (one per accepted message) not yet reported to the Stripe meter',
    (r) => r.usageUnreported,
  );
  backlogGauge(
    'massivesms_usage_report_oldest_age_seconds',
    'Age (since acceptance) of the oldest usage record not yet reported: past 23 h a resend needs reconciliation',
    (r) => r.usageOldestUnreportedAgeSeconds,
  );
  backlogGauge(
    'massivesms_usage_unresolved',
    'Usage records reconciliation could not decide (counted by Stripe or not): an operator settles them',
    (r) => r.usageUnresolved,
  );

  new Gauge({
    name: 'massivesms_workflow_failures',
    help: 'Failed or timed-out executions per process kind (Temporal visibility, within its retention): alert on increase',
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      const counts = await failures();
      if (counts) for (const [kind, n] of counts) this.set({ kind }, n);
    },
  });

  new Gauge({
    name: 'massivesms_metrics_source_up',
    help: 'Whether the last reading of a metrics source (postgres backlogs, temporal failures) succeeded',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      this.set({ source: 'postgres' }, (await backlogs()) ? 1 : 0);
      this.set({ source: 'temporal' }, (await failures()) ? 1 : 0);
    },
  });
}
