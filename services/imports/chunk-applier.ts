import type { Pool, PoolClient } from 'pg';
import { uuidv7 } from '../../lib/ids';
import { openPii, sealPii, type ContactPii } from '../contacts/contact-pii';
import type { PreparedChunk, PreparedContact } from './row-preparation';

export interface ChunkCounts {
  rows: number;
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  optedOut: number;
}

export interface ChunkTarget {
  importId: string;
  accountId: string;
  chunkNo: number;
  rowCount: number;
  dataKey: Buffer;
}

async function alreadyApplied(client: PoolClient, t: ChunkTarget): Promise<ChunkCounts | null> {
  const claimed = await client.query(
    `insert into contact_import_chunk_results (import_id, chunk_no, created, updated, duplicates, invalid, opted_out)
     values ($1, $2, 0, 0, 0, 0, 0) on conflict do nothing`,
    [t.importId, t.chunkNo],
  );
  if (claimed.rowCount === 1) return null;
  const { rows } = await client.query(
    `select created, updated, duplicates, invalid, opted_out from contact_import_chunk_results where import_id = $1 and chunk_no = $2`,
    [t.importId, t.chunkNo],
  );
  const r = rows[0];
  return { rows: t.rowCount, created: r.created, updated: r.updated, duplicates: r.duplicates, invalid: r.invalid, optedOut: r.opted_out };
}

/** Merges file values over what the contact already has: an unmapped column never erases data. */
function mergedPii(contact: PreparedContact, previous: ContactPii | undefined): ContactPii {
  return {
    phone: contact.phone,
    name: contact.name ?? previous?.name ?? null,
    attributes: { ...(previous?.attributes ?? {}), ...contact.attributes },
    optInIp: contact.optInIp ?? previous?.optInIp ?? null,
  };
}

/**
 * Applies one prepared chunk in one transaction, claimed by its chunk_results row: a retried or
 * concurrent attempt of the same chunk waits for the first and then reads its counts instead.
 * A number already written by an earlier chunk of this import counts as a duplicate.
 */
export async function applyChunk(pool: Pool, t: ChunkTarget, prepared: PreparedChunk): Promise<ChunkCounts> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const done = await alreadyApplied(client, t);
    if (done) {
      await client.query('rollback');
      return done;
    }
    const hashes = prepared.contacts.map((c) => c.phoneHash);
    const existing = await client.query<{ phone_hash: Buffer; pii: Buffer; last_import_id: string | null }>(
      `select phone_hash, pii, last_import_id from contacts where account_id = $1 and phone_hash = any($2::bytea[]) for update`,
      [t.accountId, hashes],
    );
    const previous = new Map(existing.rows.map((r) => [r.phone_hash.toString('hex'), r]));
    let duplicates = prepared.duplicates;
    const now = new Date();
    const cols = {
      id: [] as string[],
      hash: [] as Buffer[],
      pii: [] as Buffer[],
      source: [] as (string | null)[],
      at: [] as (Date | null)[],
    };
    for (const c of prepared.contacts) {
      const prev = previous.get(c.phoneHash.toString('hex'));
      if (prev?.last_import_id === t.importId) {
        duplicates += 1;
        continue;
      }
      const prevPii = prev ? openPii(t.dataKey, t.accountId, prev.pii) : undefined;
      cols.id.push(uuidv7(now.getTime()));
      cols.hash.push(c.phoneHash);
      cols.pii.push(sealPii(t.dataKey, t.accountId, mergedPii(c, prevPii)));
      cols.source.push(c.optInSource);
      cols.at.push(c.optInAt);
    }
    const upserted = await client.query<{ inserted: boolean }>(
      `insert into contacts (id, account_id, phone_hash, pii, opt_in_source, opt_in_at, last_import_id, created_at, updated_at)
       select u.id, $1, u.hash, u.pii, u.source, u.at, $2, $3, $3
       from unnest($4::uuid[], $5::bytea[], $6::bytea[], $7::text[], $8::timestamptz[]) as u(id, hash, pii, source, at)
       on conflict (account_id, phone_hash) do update set
         pii = excluded.pii,
         opt_in_source = coalesce(excluded.opt_in_source, contacts.opt_in_source),
         opt_in_at = coalesce(excluded.opt_in_at, contacts.opt_in_at),
         last_import_id = excluded.last_import_id,
         updated_at = excluded.updated_at
       where contacts.last_import_id is distinct from excluded.last_import_id
       returning (xmax = 0) as inserted`,
      [t.accountId, t.importId, now, cols.id, cols.hash, cols.pii, cols.source, cols.at],
    );
    const created = upserted.rows.filter((r) => r.inserted).length;
    const updated = upserted.rows.length - created;
    duplicates += cols.id.length - upserted.rows.length;
    const optedOut = await client.query<{ n: number }>(
      `select count(*)::int as n from opt_outs where account_id = $1 and phone_hash = any($2::bytea[])`,
      [t.accountId, cols.hash],
    );
    if (prepared.errors.length > 0) {
      await client.query(
        `insert into contact_import_errors (import_id, row_no, column_name, reason)
         select $1, e.row_no, e.column_name, e.reason from unnest($2::int[], $3::text[], $4::text[]) as e(row_no, column_name, reason)
         on conflict do nothing`,
        [t.importId, prepared.errors.map((e) => e.row), prepared.errors.map((e) => e.column), prepared.errors.map((e) => e.reason)],
      );
    }
    const counts: ChunkCounts = {
      rows: t.rowCount,
      created,
      updated,
      duplicates,
      invalid: prepared.errors.length,
      optedOut: optedOut.rows[0]!.n,
    };
    await client.query(
      `update contact_import_chunk_results set created = $3, updated = $4, duplicates = $5, invalid = $6, opted_out = $7
       where import_id = $1 and chunk_no = $2`,
      [t.importId, t.chunkNo, counts.created, counts.updated, counts.duplicates, counts.invalid, counts.optedOut],
    );
    await client.query(
      `update contact_imports set processed_rows = processed_rows + $2, created = created + $3, updated = updated + $4,
         duplicates = duplicates + $5, invalid = invalid + $6, opted_out = opted_out + $7, updated_at = now()
       where id = $1`,
      [t.importId, counts.rows, counts.created, counts.updated, counts.duplicates, counts.invalid, counts.optedOut],
    );
    await client.query('commit');
    return counts;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
