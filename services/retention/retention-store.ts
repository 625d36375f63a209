import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { auditCutPoint, checkpointAuditHead, cutAuditPrefix } from '../audit-log';
import type { IdempotencyStore } from '../idempotency/idempotency-store';
import { ensureMessagePartitions } from '../../db/message-partitions';
import { ZERO_UUID } from '../../lib/ids';
import { dropExpiredMessagePartitions } from './message-partitions';
import { RETENTION, type PurgedClass } from './retention-policy';

/** Rows per statement: every purge is a series of short, bounded statements. */
export const RETENTION_BATCH = 1000;

/** The moment before which (inclusive) a class's rows are past their retention, as of `asOf`. */
export function retentionCutoff(cls: PurgedClass, asOf: Date): Date {
  return DateTime.fromJSDate(asOf, { zone: 'utc' }).minus(RETENTION[cls].keep).toJSDate();
}

type Batch = (em: EntityManager, cutoff: Date, limit: number) => Promise<number>;

const rowsOf = async (em: EntityManager, sql: string, params: unknown[]) => (await em.execute<unknown[]>(sql, params)).length;

/**
 * Each batch removes at most `limit` rows and returns how many; a retried run finds fewer. A class
 * of several tables is a list of batches, children first, each run until it comes back short.
 */
const BATCHES: Record<Exclude<PurgedClass, 'idempotencyKeys' | 'auditLog' | 'messageBodies'>, Batch | Batch[]> = {
  // Row by row, what no partition drop took (the day the cutoff falls in, the default partition).
  // Bodies and attempts have no cascading key to their message: they go in the same statement.
  messageMetadata: (em, cutoff, limit) =>
    rowsOf(
      em,
      `with gone as (
         delete from messages where id in
           (select id from messages where created_at <= ? and status not in ('queued', 'sending') limit ? for update skip locked)
         returning id),
       attempts_gone as (delete from message_attempts a using gone g where a.message_id = g.id),
       bodies_gone as (delete from message_bodies b using gone g where b.message_id = g.id)
       select id from gone`,
      [cutoff, limit],
    ),
  stagedImportRows: (em, cutoff, limit) =>
    rowsOf(
      em,
      `delete from contact_import_chunks where (import_id, chunk_no) in
         (select c.import_id, c.chunk_no from contact_import_chunks c join contact_imports i on i.id = c.import_id
          where i.status in ('completed', 'failed') and coalesce(i.completed_at, i.updated_at) <= ? limit ?)
       returning import_id`,
      [cutoff, limit],
    ),
  sessions: async (em, cutoff, limit) =>
    (await rowsOf(
      em,
      `delete from staff_sessions where id in
         (select id from staff_sessions where least(expires_at, coalesce(revoked_at, expires_at)) <= ? limit ?) returning id`,
      [cutoff, limit],
    )) +
    (await rowsOf(em, 'delete from sessions where id in (select id from sessions where expires_at <= ? limit ?) returning id', [
      cutoff,
      limit,
    ])) +
    // Emailed links (and the invitations they carry) go like sessions: 30 days after they expired.
    (await rowsOf(em, 'delete from email_links where id in (select id from email_links where expires_at <= ? limit ?) returning id', [
      cutoff,
      limit,
    ])) +
    // Google sign-ins in progress and pending links, likewise.
    (await rowsOf(
      em,
      'delete from oidc_sign_in_flows where state_hash in (select state_hash from oidc_sign_in_flows where expires_at <= ? limit ?) returning state_hash',
      [cutoff, limit],
    )) +
    (await rowsOf(
      em,
      'delete from oidc_pending_links where id in (select id from oidc_pending_links where expires_at <= ? limit ?) returning id',
      [cutoff, limit],
    )),
  providerWebhookEvents: (em, cutoff, limit) =>
    rowsOf(
      em,
      `delete from provider_webhook_events where (vendor, event_id) in
         (select vendor, event_id from provider_webhook_events where received_at <= ? limit ?)
       returning event_id`,
      [cutoff, limit],
    ),
  // A pending delivery is still being retried: only ended ones go (their attempts cascade, a handful each).
  webhookDeliveries: (em, cutoff, limit) =>
    rowsOf(
      em,
      `delete from webhook_deliveries where (endpoint_id, event_id) in
         (select endpoint_id, event_id from webhook_deliveries where status in ('delivered', 'failed') and completed_at <= ? limit ?)
       returning event_id`,
      [cutoff, limit],
    ),
  campaignRecipients: (em, cutoff, limit) =>
    rowsOf(
      em,
      `delete from campaign_recipients where (campaign_id, contact_id) in
         (select r.campaign_id, r.contact_id from campaigns c join campaign_recipients r on r.campaign_id = c.id
          where c.status in ('completed', 'cancelled') and c.finished_at <= ? limit ?)
       returning contact_id`,
      [cutoff, limit],
    ),
  // An import can have many refused rows: its errors and chunk results go in bounded batches before it.
  finishedImports: ['contact_import_errors', 'contact_import_chunk_results', 'contact_import_chunks']
    .map(
      (child): Batch =>
        (em, cutoff, limit) =>
          rowsOf(
            em,
            `delete from ${child} where (import_id, ${child === 'contact_import_errors' ? 'row_no' : 'chunk_no'}) in
             (select x.import_id, x.${child === 'contact_import_errors' ? 'row_no' : 'chunk_no'}
                from contact_imports i join ${child} x on x.import_id = i.id
               where i.status in ('completed', 'failed') and coalesce(i.completed_at, i.updated_at) <= ? limit ?)
           returning import_id`,
            [cutoff, limit],
          ),
    )
    .concat((em, cutoff, limit) =>
      rowsOf(
        em,
        `delete from contact_imports where id in
         (select id from contact_imports where status in ('completed', 'failed') and coalesce(completed_at, updated_at) <= ? limit ?)
       returning id`,
        [cutoff, limit],
      ),
    ),
  // Kept through the account's termination and deletion (the account row stays as a tombstone).
  billingRecords: (em, cutoff, limit) =>
    rowsOf(em, `delete from billing_records where id in (select id from billing_records where occurred_at <= ? limit ?) returning id`, [
      cutoff,
      limit,
    ]),
  noticeDeliveries: (em, cutoff, limit) =>
    rowsOf(
      em,
      `delete from notice_deliveries where (process_id, phase, recipient_kind, recipient_id) in
         (select process_id, phase, recipient_kind, recipient_id from notice_deliveries where sent_at <= ? limit ?)
       returning recipient_id`,
      [cutoff, limit],
    ),
};

/** Classes whose tables are partitioned by period: whole periods are dropped before the row-by-row purge. */
const PARTITIONED_CLASSES = { messageBodies: 'bodies', messageMetadata: 'metadata' } as const;

/**
 * Purges one class as of `asOf` in bounded batches until a batch comes back short; `onBatch` gets
 * the running count (the activity heartbeats it). Idempotent: a second run removes nothing new.
 */
export async function purgeRetentionClass(
  em: EntityManager,
  cls: PurgedClass,
  asOf: Date,
  deps: { idempotency: IdempotencyStore },
  onBatch?: (purgedSoFar: number) => void,
): Promise<number> {
  if (cls === 'idempotencyKeys') return deps.idempotency.purgeExpired(em, RETENTION_BATCH, onBatch);
  const cutoff = retentionCutoff(cls, asOf);
  if (cls === 'auditLog') return purgeAuditLog(em, cutoff, onBatch);
  let purged = 0;
  // The daily run also keeps the coming months' partitions made (by the clock, not the run's `asOf`).
  if (cls === 'messageMetadata') await ensureMessagePartitions(em, new Date());
  const partitioned = PARTITIONED_CLASSES[cls as keyof typeof PARTITIONED_CLASSES];
  if (partitioned) purged = await dropExpiredMessagePartitions(em, partitioned, cutoff, onBatch);
  if (cls === 'messageBodies') return purged + (await purgeBodiesRowByRow(em, cutoff, (n) => onBatch?.(purged + n)));
  const batches = BATCHES[cls];
  for (const batch of Array.isArray(batches) ? batches : [batches]) {
    for (;;) {
      const n = await batch(em, cutoff, RETENTION_BATCH);
      purged += n;
      onBatch?.(purged);
      if (n < RETENTION_BATCH) break;
    }
  }
  return purged;
}

/**
 * Bodies no partition drop took, walked once in (created_at, message_id) order: each batch starts
 * where the last ended, so it never re-reads the entries of bodies already deleted (until vacuum
 * removes them, every batch starting from the oldest would). Those of queued or sending messages
 * are passed over, not deleted: they still have to go out.
 */
async function purgeBodiesRowByRow(em: EntityManager, cutoff: Date, onBatch?: (purgedSoFar: number) => void): Promise<number> {
  let purged = 0;
  let after: { createdAt: Date; messageId: string } = { createdAt: new Date(0), messageId: ZERO_UUID };
  for (;;) {
    const [row] = await em.execute<{ seen: number; purged: number; last_created: Date | null; last_id: string | null }[]>(
      `with window_ as (
         select message_id, created_at from message_bodies
          where created_at <= ? and (created_at, message_id) > (?::timestamptz, ?::uuid)
          order by created_at, message_id limit ?),
       gone as (
         delete from message_bodies b using window_ w
          where b.message_id = w.message_id
            and not exists (select 1 from messages m where m.id = w.message_id and m.status in ('queued', 'sending'))
         returning 1)
       select (select count(*)::int from window_) as seen, (select count(*)::int from gone) as purged,
              (select created_at from window_ order by created_at desc, message_id desc limit 1) as last_created,
              (select message_id::text from window_ order by created_at desc, message_id desc limit 1) as last_id`,
      [cutoff, after.createdAt, after.messageId, RETENTION_BATCH],
    );
    purged += row!.purged;
    onBatch?.(purged);
    if (row!.seen < RETENTION_BATCH) return purged;
    after = { createdAt: row!.last_created!, messageId: row!.last_id! };
  }
}

/** Checkpoint first, then cut the oldest entries batch by batch (each cut its own transaction). */
async function purgeAuditLog(em: EntityManager, cutoff: Date, onBatch?: (purgedSoFar: number) => void): Promise<number> {
  if ((await auditCutPoint(em, cutoff, 1)) === null) return 0;
  await em.transactional((tem) => checkpointAuditHead(tem));
  let purged = 0;
  for (;;) {
    const through = await auditCutPoint(em, cutoff, RETENTION_BATCH);
    if (through === null) return purged;
    purged += await em.transactional((tem) => cutAuditPrefix(tem, through));
    onBatch?.(purged);
  }
}
