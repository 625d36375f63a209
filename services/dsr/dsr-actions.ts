import type { EntityManager } from '@mikro-orm/postgresql';
import { sealField } from '../../lib/crypto/sealed-field';
import { uuidv7 } from '../../lib/ids';
import type { DsrOutcome } from '../../workflows/lifecycle/dsr';
import { appendAudit } from '../audit-log';
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
export async function carryOutDsr(deps: Deps, row: DsrRow, onProgress?: (done: number) => void): Promise<DsrOutcome> {
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
      return erase(em, row, hash, onProgress);
    case 'rectification':
      throw new Error('a rectification is done by a person');
  }
}

/**
 * The contact (its list memberships cascade), every message body and sealed number of the subject,
 * and the opt-out's sealed number go; the opt-out's hash stays, so the number stays opted out.
 * Still-queued messages to the number are suppressed first (they could not be sent without a body).
 */
async function erase(em: EntityManager, row: DsrRow, hash: Buffer, onProgress?: (done: number) => void): Promise<DsrOutcome> {
  const suppressed = await em.execute<{ id: string }[]>(
    `update messages set status = 'suppressed', error_code = 'erased', next_attempt_at = null, updated_at = now()
     where account_id = ? and recipient_hash = ? and direction = 'outbound' and status = 'queued' returning id`,
    [row.account_id, hash],
  );
  let purged = 0;
  for (;;) {
    const batch = await em.execute<{ id: string }[]>(
      `update messages set body = null, recipient_pii = null, body_purged_at = coalesce(body_purged_at, now()), updated_at = now()
       where id in (select id from messages where account_id = ? and recipient_hash = ? and status <> 'sending'
                      and (body is not null or recipient_pii is not null) limit ?)
       returning id`,
      [row.account_id, hash, DSR_ERASURE_BATCH],
    );
    purged += batch.length;
    onProgress?.(purged);
    if (batch.length < DSR_ERASURE_BATCH) break;
  }
  const contactDeleted = await em.transactional(async (tem) => {
    const deleted = await tem.execute<{ id: string }[]>('delete from contacts where account_id = ? and phone_hash = ? returning id', [
      row.account_id,
      hash,
    ]);
    await tem.execute('update opt_outs set phone_pii = null where account_id = ? and phone_hash = ?', [row.account_id, hash]);
    await dropSubjectPii(tem, row.id);
    for (const { id } of deleted) await auditDsrAction(tem, row, 'contact.deleted', { type: 'contact', id });
    return deleted.length > 0;
  });
  return { action: 'erased', contactDeleted, messagesPurged: purged, messagesSuppressed: suppressed.length };
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
