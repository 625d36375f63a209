import type { EntityManager } from '@mikro-orm/postgresql';
import { sealField } from '../../lib/crypto/sealed-field';
import { uuidv7 } from '../../lib/ids';
import type { DsrOutcome } from '../../workflows/lifecycle/dsr';
import { appendAudit } from '../audit-log';
import { eraseCampaignRecipients } from '../campaigns/recipient-erasure';
import type { ServiceDeps } from '../deps';
import { dropSubjectPii, type DsrRow } from './dsr-store';
import { openSubject } from './dsr-subject';

/** Rows per statement: an erasure of a busy number never holds many row locks for long. */
export const DSR_ERASURE_BATCH = 1000;

type Deps = Pick<ServiceDeps, 'orm' | 'keyring'>;

/**
 * Carries out what the product can do itself for a request about one of the account's recipients.
 * Each step is idempotent (a retried activity finds its work done) and returns counts only.
 */
export async function carryOutDsr(deps: Deps, row: DsrRow, progress?: ErasureProgress): Promise<DsrOutcome> {
  const hash = row.subject_phone_hash;
  if (!hash) throw new Error('the request names no recipient');
  const em = deps.orm.em.fork();
  switch (row.type) {
    case 'access':
    case 'portability': {
      const [counts] = await em.execute<{ contacts: string; messages: string }[]>(
        `select (select count(*) from contacts where account_id = ? and phone_hash = ?) as contacts,
                (select count(*) from messages where account_id = ? and recipient_hash = ?) as messages`,
        [row.account_id, hash, row.account_id, hash],
      );
      return { action: 'export_ready', exportContact: Number(counts!.contacts) > 0, exportMessages: Number(counts!.messages) };
    }
    case 'restriction':
      await em.transactional(async (tem) => {
        const added = await tem.execute<{ phone_hash: Buffer }[]>(
          `insert into recipient_restrictions (account_id, phone_hash, reason, created_at) values (?, ?, ?, now())
           on conflict (account_id, phone_hash) do nothing returning phone_hash`,
          [row.account_id, hash, `dsr:${row.id}`],
        );
        if (added.length > 0) await auditDsrAction(tem, row, 'recipient.restricted', { type: 'data_subject_request', id: row.id });
      });
      return { action: 'restricted' };
    case 'objection':
      await em.transactional(async (tem) => {
        const key = await deps.keyring.keyFor(tem, row.account_id);
        const phone = row.subject_pii ? openSubject(key, row.id, row.subject_pii).phone : null;
        const id = uuidv7();
        const added = await tem.execute<{ id: string }[]>(
          `insert into opt_outs (id, account_id, phone_hash, phone_pii, source, reason, created_at)
           values (?, ?, ?, ?, 'dsr', 'data subject objection', now())
           on conflict (account_id, phone_hash) do nothing returning id`,
          [id, row.account_id, hash, phone ? sealField(key, { purpose: 'opt_outs.phone_pii', rowId: id }, Buffer.from(phone)) : null],
        );
        if (added.length > 0) await auditDsrAction(tem, row, 'opt_out.added', { type: 'opt_out', id }, { source: 'dsr' });
      });
      return { action: 'opted_out' };
    case 'erasure':
      return erase(em, row, hash, { suppressed: 0, purged: 0, ...progress?.resumed() }, progress?.heartbeat);
    case 'rectification':
      throw new Error('a rectification is done by a person');
  }
}

/** An erasure's counts so far: heartbeated, so a retried activity reports the attempts before it too. */
export interface ErasureCounts {
  suppressed: number;
  purged: number;
}

/** How a long erasure reports its counts (an activity's heartbeat) and finds those of an earlier attempt. */
export interface ErasureProgress {
  heartbeat: (counts: ErasureCounts) => void;
  resumed: () => ErasureCounts | undefined;
}

/** A message to the subject is in a carrier call: it keeps its number until the call ends, so the erasure waits (retried). */
export class ErasureWaitsForSend extends Error {
  override name = 'ErasureWaitsForSend';
  constructor() {
    super('a message to the subject is being sent: the erasure finishes after it');
  }
}

/**
 * The contact (its list memberships cascade), every message body, sealed number and number hash of
 * the subject, their campaign recipient rows and any restriction go; so does the request's own copy
 * of the number (sealed now, the hash at completion). The opt-out's sealed number goes but its hash
 * stays, so the number stays opted out: the one trace the policy keeps. Still-queued messages to the
 * number are suppressed first (they could not be sent without a body).
 */
async function erase(
  em: EntityManager,
  row: DsrRow,
  hash: Buffer,
  counts: ErasureCounts,
  onProgress?: (counts: ErasureCounts) => void,
): Promise<DsrOutcome> {
  const suppressed = await em.execute<{ id: string }[]>(
    `update messages set status = 'suppressed', error_code = 'erased', next_attempt_at = null, updated_at = now()
     where account_id = ? and recipient_hash = ? and direction = 'outbound' and status = 'queued' returning id`,
    [row.account_id, hash],
  );
  counts.suppressed += suppressed.length;
  onProgress?.(counts);
  for (;;) {
    // The hash goes too: without it the metadata kept for billing cannot be joined back to the number.
    const batch = await em.execute<{ id: string }[]>(
      `with erased as (
         update messages set recipient_pii = null, recipient_hash = null, updated_at = now()
          where id in (select id from messages where account_id = ? and recipient_hash = ? and status not in ('queued', 'sending') limit ?)
         returning id),
       bodies_gone as (delete from message_bodies b using erased e where b.message_id = e.id)
       select id from erased`,
      [row.account_id, hash, DSR_ERASURE_BATCH],
    );
    counts.purged += batch.length;
    onProgress?.(counts);
    if (batch.length < DSR_ERASURE_BATCH) break;
  }
  while ((await eraseCampaignRecipients(em, row.account_id, hash, DSR_ERASURE_BATCH)) === DSR_ERASURE_BATCH) onProgress?.(counts);
  const [left] = await em.execute<{ n: number }[]>('select count(*)::int as n from messages where account_id = ? and recipient_hash = ?', [
    row.account_id,
    hash,
  ]);
  if (left!.n > 0) throw new ErasureWaitsForSend();
  const contactDeleted = await em.transactional(async (tem) => {
    const deleted = await tem.execute<{ id: string }[]>('delete from contacts where account_id = ? and phone_hash = ? returning id', [
      row.account_id,
      hash,
    ]);
    await tem.execute('update opt_outs set phone_pii = null where account_id = ? and phone_hash = ?', [row.account_id, hash]);
    await tem.execute('delete from recipient_restrictions where account_id = ? and phone_hash = ?', [row.account_id, hash]);
    await dropSubjectPii(tem, row.id);
    for (const { id } of deleted) await auditDsrAction(tem, row, 'contact.deleted', { type: 'contact', id });
    return deleted.length > 0;
  });
  return { action: 'erased', contactDeleted, messagesPurged: counts.purged, messagesSuppressed: counts.suppressed };
}

function auditDsrAction(
  em: EntityManager,
  row: DsrRow,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  return appendAudit(em, {
    actorType: 'system',
    actorId: 'dsr',
    accountId: row.account_id,
    action,
    targetType: target.type,
    targetId: target.id,
    details: { ...details, requestId: row.id },
  });
}
