import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { openPii } from '../contacts/contact-pii';
import type { DsrRow } from './dsr-store';
import { openSubject } from './dsr-subject';

/** Messages per read while an export streams: one subject's history is read in bounded pages. */
const EXPORT_PAGE = 1000;

interface MessageMetaRow {
  id: string;
  direction: string;
  kind: string;
  status: string;
  sender: string;
  segments: number;
  encoding: string;
  campaign_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  failed_at: Date | null;
}

/** Raw SQL hands timestamptz back as text. */
const isoOf = (d: Date | string) => new Date(d).toISOString();
const iso = (d: Date | string | null) => (d === null ? null : isoOf(d));

/**
 * What the account holds about the request's subject, read now: the contact (opened), its lists,
 * opt-out and restriction status (the head, small, read at once), and the metadata of every message
 * to or from the number, which the caller streams (bodies are not part of it: they are purged after
 * 90 days and a copy would outlive that).
 */
export async function openDsrExport(em: EntityManager, pool: Pool, key: DataKey, row: DsrRow) {
  const hash = row.subject_phone_hash!;
  const [contact] = await em.execute<
    { id: string; pii: Buffer; opt_in_source: string | null; opt_in_at: Date | null; created_at: Date; updated_at: Date }[]
  >('select id, pii, opt_in_source, opt_in_at, created_at, updated_at from contacts where account_id = ? and phone_hash = ?', [
    row.account_id,
    hash,
  ]);
  const pii = contact ? openPii(key, contact.id, contact.pii) : null;
  const lists = contact
    ? await em.execute<{ id: string; name: string; added_at: Date }[]>(
        `select l.id, l.name, m.created_at as added_at from list_memberships m join lists l on l.id = m.list_id
         where m.account_id = ? and m.contact_id = ? order by l.id`,
        [row.account_id, contact.id],
      )
    : [];
  const [optOut] = await em.execute<{ source: string; created_at: Date }[]>(
    'select source, created_at from opt_outs where account_id = ? and phone_hash = ?',
    [row.account_id, hash],
  );
  const [restriction] = await em.execute<{ created_at: Date }[]>(
    'select created_at from recipient_restrictions where account_id = ? and phone_hash = ?',
    [row.account_id, hash],
  );
  const head = {
    requestId: row.id,
    generatedAt: new Date().toISOString(),
    subject: { phone: pii?.phone ?? (row.subject_pii ? openSubject(key, row.id, row.subject_pii).phone : null) },
    contact:
      contact && pii
        ? {
            id: contact.id,
            phone: pii.phone,
            name: pii.name,
            attributes: pii.attributes,
            optIn: { source: contact.opt_in_source, ip: pii.optInIp, at: iso(contact.opt_in_at) },
            createdAt: isoOf(contact.created_at),
            updatedAt: isoOf(contact.updated_at),
          }
        : null,
    lists: lists.map((l) => ({ id: l.id, name: l.name, addedAt: isoOf(l.added_at) })),
    optOut: optOut ? { source: optOut.source, since: isoOf(optOut.created_at) } : null,
    restricted: restriction ? { since: isoOf(restriction.created_at) } : null,
  };
  return { head, messages: subjectMessages(pool, row.account_id, hash) };
}

/**
 * The subject's messages page by page: each page is one short statement on its own pooled
 * connection, so a slow reader holds no connection (and no snapshot) between pages.
 */
async function* subjectMessages(pool: Pool, accountId: string, hash: Buffer): AsyncGenerator<ReturnType<typeof messageView>> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pool.query<MessageMetaRow>(
      `select id, direction, kind, status, sender, segments, encoding, campaign_id, created_at, sent_at, delivered_at, failed_at
       from messages where account_id = $1 and recipient_hash = $2 and id > $3 order by id limit $4`,
      [accountId, hash, after, EXPORT_PAGE],
    );
    yield* rows.map(messageView);
    if (rows.length < EXPORT_PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

function messageView(m: MessageMetaRow) {
  return {
    id: m.id,
    direction: m.direction,
    kind: m.kind,
    status: m.status,
    sender: m.sender,
    segments: m.segments,
    encoding: m.encoding,
    campaignId: m.campaign_id,
    createdAt: isoOf(m.created_at),
    sentAt: iso(m.sent_at),
    deliveredAt: iso(m.delivered_at),
    failedAt: iso(m.failed_at),
  };
}

export type DsrExportHead = Awaited<ReturnType<typeof openDsrExport>>['head'];
