import { ZERO_UUID } from '../../lib/ids';
import type { Pool, PoolClient } from 'pg';
import { openField, type DataKey } from '../../lib/crypto/sealed-field';
import { openPii } from '../contacts/contact-pii';
import type { DataKeyring } from '../keyring';
import { RECIPIENT_PURPOSE } from '../messaging/send-fields';

/** Rows read per statement: memory stays flat whatever the account's size. */
const PAGE = 1000;
const iso = (d: Date | null) => d?.toISOString() ?? null;

type ExportRecord = Record<string, unknown> & { type: string };

/** Keyset pages of `sql` (which takes the account as $1, the last id as $2 and the page size as $3). */
async function* pages<R extends { id: string }>(client: PoolClient, sql: string, args: unknown[]): AsyncGenerator<R> {
  let after = ZERO_UUID;
  for (;;) {
    const { rows } = await client.query<R>(sql, [...args, after, PAGE]);
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

/**
 * A terminated account's data for the controller, one JSON record per line (NDJSON), read page by
 * page in one repeatable-read snapshot and opened with the account's data key: contacts with their
 * opt-in metadata, lists and memberships, opt-outs, and message metadata (no bodies). Nothing is
 * written anywhere: the caller streams the records straight to the response. The connection is
 * released when the generator finishes, throws or is returned early (a download cut off).
 */
export async function* exportAccount(pool: Pool, keyring: DataKeyring, accountId: string): AsyncGenerator<ExportRecord> {
  const client = await pool.connect();
  // The server may end the session while the download waits (idle-in-transaction timeout): the next
  // query then fails, instead of the driver's unhandled 'error' event taking the process down.
  let sessionEnded: Error | undefined;
  const onSessionEnd = (err: Error) => (sessionEnded = err);
  client.on('error', onSessionEnd);
  try {
    await client.query('begin isolation level repeatable read read only');
    const dataKey: DataKey = await keyring.keyForOnConnection(client, accountId);
    const account = await client.query<{ name: string; created_at: Date }>('select name, created_at from accounts where id = $1', [
      accountId,
    ]);
    yield {
      type: 'account',
      id: accountId,
      name: account.rows[0]?.name ?? null,
      createdAt: iso(account.rows[0]?.created_at ?? null),
      exportedAt: new Date().toISOString(),
    };

    for await (const c of pages<{ id: string; pii: Buffer; opt_in_source: string | null; opt_in_at: Date | null; created_at: Date }>(
      client,
      `select id, pii, opt_in_source, opt_in_at, created_at from contacts where account_id = $1 and id > $2 order by id limit $3`,
      [accountId],
    )) {
      const pii = openPii(dataKey, c.id, c.pii);
      yield {
        type: 'contact',
        id: c.id,
        phone: pii.phone,
        name: pii.name,
        attributes: pii.attributes,
        optIn: { source: c.opt_in_source, at: iso(c.opt_in_at), ip: pii.optInIp },
        createdAt: iso(c.created_at),
      };
    }

    const lists: string[] = [];
    for await (const l of pages<{ id: string; name: string; created_at: Date }>(
      client,
      'select id, name, created_at from lists where account_id = $1 and id > $2 order by id limit $3',
      [accountId],
    )) {
      lists.push(l.id);
      yield { type: 'list', id: l.id, name: l.name, createdAt: iso(l.created_at) };
    }
    for (const listId of lists) {
      for await (const m of pages<{ id: string }>(
        client,
        'select contact_id as id from list_memberships where list_id = $1 and contact_id > $2 order by contact_id limit $3',
        [listId],
      )) {
        yield { type: 'list_membership', listId, contactId: m.id };
      }
    }

    for await (const o of pages<{ id: string; phone_pii: Buffer | null; source: string; reason: string | null; created_at: Date }>(
      client,
      'select id, phone_pii, source, reason, created_at from opt_outs where account_id = $1 and id > $2 order by id limit $3',
      [accountId],
    )) {
      const phone = o.phone_pii ? openField(dataKey, { purpose: 'opt_outs.phone_pii', rowId: o.id }, o.phone_pii).toString() : null;
      yield { type: 'opt_out', id: o.id, phone, source: o.source, reason: o.reason, createdAt: iso(o.created_at) };
    }

    for await (const m of pages<MessageRow>(
      client,
      `select id, direction, kind, status, sender, recipient_pii, encoding, segments, carrier, campaign_id, error_code,
              created_at, sent_at, delivered_at, failed_at
         from messages where account_id = $1 and id > $2 order by id limit $3`,
      [accountId],
    )) {
      const other = m.recipient_pii ? openField(dataKey, { purpose: RECIPIENT_PURPOSE, rowId: m.id }, m.recipient_pii).toString() : null;
      const outbound = m.direction === 'outbound';
      yield {
        type: 'message',
        id: m.id,
        direction: m.direction,
        kind: m.kind,
        status: m.status,
        from: outbound ? m.sender : other,
        to: outbound ? other : m.sender,
        encoding: m.encoding,
        segments: m.segments,
        carrier: m.carrier,
        campaignId: m.campaign_id,
        errorCode: m.error_code,
        createdAt: iso(m.created_at),
        sentAt: iso(m.sent_at),
        deliveredAt: iso(m.delivered_at),
        failedAt: iso(m.failed_at),
      };
    }
    await client.query('commit');
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.off('error', onSessionEnd);
    client.release(sessionEnded); // a connection the server ended is dropped, not pooled
  }
}

interface MessageRow {
  id: string;
  direction: 'inbound' | 'outbound';
  kind: string;
  status: string;
  sender: string;
  recipient_pii: Buffer | null;
  encoding: string;
  segments: number;
  carrier: string | null;
  campaign_id: string | null;
  error_code: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  failed_at: Date | null;
}
