import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { checkAttributes } from '../../lib/contact-limits';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { openPii, sealPii, type ContactPii } from '../contacts/contact-pii';
import type { ImportCounts } from '../../workflows/import-counts';
import type { AdmittedChunk, ApplicableContact } from './chunk-preparation';
import { CONTACTS_COPY_COLUMNS, copyStreamOf } from './contacts-copy';
import { rowRejectionReason, sqlStateOf, storableText } from './row-rejection';
import type { RowError } from './row-preparation';

export interface ChunkCounts extends ImportCounts {
  rows: number;
}

/** Counts as stored per chunk in contact_import_chunk_results (and summed from there). */
export interface StoredCounts {
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  opted_out: number;
}

export function countsFromRow(r: StoredCounts): ImportCounts {
  return { created: r.created, updated: r.updated, duplicates: r.duplicates, invalid: r.invalid, optedOut: r.opted_out };
}

const UNIQUE_VIOLATION = '23505';

export interface ChunkTarget {
  importId: string;
  accountId: string;
  chunkNo: number;
  rowCount: number;
  dataKey: DataKey;
}

async function alreadyApplied(client: PoolClient, t: ChunkTarget): Promise<ChunkCounts | null> {
  const claimed = await client.query(
    `insert into contact_import_chunk_results (import_id, chunk_no, created, updated, duplicates, invalid, opted_out)
     values ($1, $2, 0, 0, 0, 0, 0) on conflict do nothing`,
    [t.importId, t.chunkNo],
  );
  if (claimed.rowCount === 1) return null;
  const { rows } = await client.query<StoredCounts>(
    `select created, updated, duplicates, invalid, opted_out from contact_import_chunk_results where import_id = $1 and chunk_no = $2`,
    [t.importId, t.chunkNo],
  );
  return { rows: t.rowCount, ...countsFromRow(rows[0]!) };
}

/** Merges file values over what the contact already has: an unmapped column never erases data. */
function mergedPii(fromFile: ContactPii, previous: ContactPii): ContactPii {
  return {
    phone: fromFile.phone,
    name: fromFile.name ?? previous.name,
    attributes: { ...previous.attributes, ...fromFile.attributes },
    optInIp: fromFile.optInIp ?? previous.optInIp,
  };
}

/**
 * New numbers in one statement, with the ids their PII was sealed for; the hashes that already had
 * a contact come back as conflicts.
 */
async function insertNew(client: PoolClient, t: ChunkTarget, contacts: ApplicableContact[], now: Date): Promise<Set<string>> {
  const inserted = await client.query<{ phone_hash: Buffer }>(
    `insert into contacts (id, account_id, phone_hash, pii, opt_in_source, opt_in_at, last_import_id, created_at, updated_at)
     select u.id, $1, u.hash, u.pii, u.source, u.at, $2, $3, $3
     from unnest($4::uuid[], $5::bytea[], $6::bytea[], $7::text[], $8::timestamptz[]) as u(id, hash, pii, source, at)
     on conflict (account_id, phone_hash) do nothing
     returning phone_hash`,
    [
      t.accountId,
      t.importId,
      now,
      contacts.map((c) => c.id),
      contacts.map((c) => c.phoneHash),
      contacts.map((c) => c.sealed),
      contacts.map((c) => c.optInSource),
      contacts.map((c) => c.optInAt),
    ],
  );
  return new Set(inserted.rows.map((r) => r.phone_hash.toString('hex')));
}

interface ExistingContact {
  id: string;
  phone_hash: Buffer;
  pii: Buffer;
  last_import_id: string | null;
}

const HASH_BYTES = 32;
const concatHashes = (hashes: Buffer[]) => Buffer.concat(hashes);

/**
 * The contacts that already exist for these numbers, locked for the merge. The numbers go as one
 * bytea of 32-byte hashes, probed one by one through the unique index (a nested loop by design).
 */
async function lockExisting(client: PoolClient, accountId: string, contacts: ApplicableContact[]): Promise<ExistingContact[]> {
  const { rows } = await client.query<ExistingContact>(
    `select c.id, c.phone_hash, c.pii, c.last_import_id from generate_series(0, $3::int - 1) as i
     cross join lateral (
       select id, phone_hash, pii, last_import_id from contacts
       where account_id = $1 and phone_hash = substring($2::bytea from i * ${HASH_BYTES} + 1 for ${HASH_BYTES})
       for update
     ) c`,
    [accountId, concatHashes(contacts.map((c) => c.phoneHash)), contacts.length],
  );
  return rows;
}

/**
 * Existing contacts get the file's values merged in. One already written by this import (an
 * earlier chunk) is a duplicate and stays as that earlier row left it. A merge that would break
 * the attribute limits is that row's error, and the contact stays as it was.
 */
async function updateExisting(client: PoolClient, t: ChunkTarget, contacts: ApplicableContact[], now: Date) {
  if (contacts.length === 0) return { updated: [] as Buffer[], duplicates: 0, rejected: [] as RowError[] };
  return mergeInto(client, t, contacts, await lockExisting(client, t.accountId, contacts), now);
}

async function mergeInto(client: PoolClient, t: ChunkTarget, contacts: ApplicableContact[], existing: ExistingContact[], now: Date) {
  const byHash = new Map(existing.map((r) => [r.phone_hash.toString('hex'), r]));
  const rejected: RowError[] = [];
  const updates = contacts.flatMap((c) => {
    const row = byHash.get(c.phoneHash.toString('hex'));
    if (!row || row.last_import_id === t.importId) return [];
    // The row's PII was sealed for the id a new contact would have had; it is re-sealed for the existing contact's id.
    const merged = mergedPii(openPii(t.dataKey, c.id, c.sealed), openPii(t.dataKey, row.id, row.pii));
    const overLimit = checkAttributes(merged.attributes);
    if (overLimit) {
      rejected.push({ row: c.row, column: overLimit.key, reason: `with the contact's existing attributes: ${overLimit.reason}` });
      return [];
    }
    return [{ c, pii: sealPii(t.dataKey, row.id, merged) }];
  });
  if (updates.length > 0) {
    await client.query(
      `update contacts set pii = u.pii, opt_in_source = coalesce(u.source, contacts.opt_in_source),
         opt_in_at = coalesce(u.at, contacts.opt_in_at), last_import_id = $2, updated_at = $3
       from unnest($4::bytea[], $5::bytea[], $6::text[], $7::timestamptz[]) as u(hash, pii, source, at)
       where contacts.account_id = $1 and contacts.phone_hash = u.hash`,
      [
        t.accountId,
        t.importId,
        now,
        updates.map((u) => u.c.phoneHash),
        updates.map((u) => u.pii),
        updates.map((u) => u.c.optInSource),
        updates.map((u) => u.c.optInAt),
      ],
    );
  }
  const duplicates = contacts.length - updates.length - rejected.length;
  return { updated: updates.map((u) => u.c.phoneHash), duplicates, rejected };
}

interface WrittenContacts {
  created: number;
  updated: number;
  /** The created and updated contacts' phone hashes, in pieces to concatenate. */
  hashes: Buffer[];
  duplicates: number;
  /** Rows that passed validation but cannot be written: a merge over the limits, or refused by PostgreSQL. */
  rejected: RowError[];
}

async function copyNewContacts(client: PoolClient, tuples: Buffer[]): Promise<void> {
  if (tuples.length === 0) return;
  await pipeline(
    Readable.from(copyStreamOf(tuples)),
    client.query(copyFrom(`copy contacts (${CONTACTS_COPY_COLUMNS}) from stdin (format binary)`)),
  );
}

/**
 * The chunk's numbers taken to be all new: one COPY of the rows the preparation thread already
 * encoded, nothing looked up. A number that already has a contact (an earlier import, the API, an
 * earlier window of this import) fails it on the unique index; the chunk is then applied again
 * with writeContactsByCopy.
 */
async function writeNewContacts(client: PoolClient, _t: ChunkTarget, chunk: AdmittedChunk): Promise<WrittenContacts> {
  if (chunk.size > 0) await copyNewContacts(client, chunk.copyTuples());
  return { created: chunk.size, updated: 0, hashes: [chunk.hashes()], duplicates: 0, rejected: [] };
}

/**
 * The numbers that already have a contact are locked and merged, the rest go in by COPY. A contact
 * created meanwhile by someone else (the API) makes the COPY fail on the unique index; the chunk is
 * then applied again with writeContacts.
 */
async function writeContactsByCopy(client: PoolClient, t: ChunkTarget, chunk: AdmittedChunk, now: Date): Promise<WrittenContacts> {
  const contacts = chunk.contacts();
  const existing = contacts.length === 0 ? [] : await lockExisting(client, t.accountId, contacts);
  const known = new Set(existing.map((r) => r.phone_hash.toString('latin1')));
  const fresh: ApplicableContact[] = [];
  const conflicting: ApplicableContact[] = [];
  for (const c of contacts) (known.has(c.phoneHash.toString('latin1')) ? conflicting : fresh).push(c);
  await copyNewContacts(
    client,
    fresh.map((c) => c.tuple),
  );
  const merged =
    conflicting.length === 0
      ? { updated: [] as Buffer[], duplicates: 0, rejected: [] as RowError[] }
      : await mergeInto(client, t, conflicting, existing, now);
  return {
    created: fresh.length,
    updated: merged.updated.length,
    hashes: [...fresh.map((c) => c.phoneHash), ...merged.updated],
    duplicates: merged.duplicates,
    rejected: merged.rejected,
  };
}

/** The contacts in two set-based statements: new numbers inserted, existing ones merged. */
async function writeContacts(client: PoolClient, t: ChunkTarget, contacts: ApplicableContact[], now: Date): Promise<WrittenContacts> {
  const created = await insertNew(client, t, contacts, now);
  const createdHashes: Buffer[] = [];
  const conflicting: ApplicableContact[] = [];
  for (const c of contacts) {
    if (created.has(c.phoneHash.toString('hex'))) createdHashes.push(c.phoneHash);
    else conflicting.push(c);
  }
  const { updated, duplicates, rejected } = await updateExisting(client, t, conflicting, now);
  return { created: createdHashes.length, updated: updated.length, hashes: [...createdHashes, ...updated], duplicates, rejected };
}

/**
 * The fallback when the set-based write hit a data error: each row under its own savepoint, so the
 * rows PostgreSQL refuses become row errors and the rest of the chunk still lands.
 */
async function writeContactsRowByRow(client: PoolClient, t: ChunkTarget, chunk: AdmittedChunk, now: Date): Promise<WrittenContacts> {
  const all: WrittenContacts = { created: 0, updated: 0, hashes: [], duplicates: 0, rejected: [] };
  for (const c of chunk.contacts()) {
    await client.query('savepoint contact_row');
    try {
      const one = await writeContacts(client, t, [c], now);
      await client.query('release savepoint contact_row');
      all.created += one.created;
      all.updated += one.updated;
      all.hashes.push(...one.hashes);
      all.duplicates += one.duplicates;
      all.rejected.push(...one.rejected);
    } catch (err) {
      const reason = rowRejectionReason(err);
      if (reason === null) throw err;
      await client.query('rollback to savepoint contact_row');
      all.rejected.push({ row: c.row, column: null, reason });
    }
  }
  return all;
}

/** From cheapest to most forgiving; a chunk starts at the cheapest its hint allows and falls back. */
type WriteMode = 'new' | 'copy' | 'set' | 'row-by-row';
const WRITERS: Record<WriteMode, (client: PoolClient, t: ChunkTarget, chunk: AdmittedChunk, now: Date) => Promise<WrittenContacts>> = {
  new: writeNewContacts,
  copy: writeContactsByCopy,
  set: (client, t, chunk, now) => writeContacts(client, t, chunk.contacts(), now),
  'row-by-row': writeContactsRowByRow,
};

/**
 * What the chunks applied so far learned, shared by the chunks of one run: once a chunk met
 * numbers that already had contacts, the next ones look their numbers up instead of trying a
 * COPY that would likely fail.
 */
export interface ApplyHint {
  numbersMayExist: boolean;
}

/** One attempt at the whole chunk in one transaction; if another attempt already applied it, its stored counts. */
async function applyInTransaction(client: PoolClient, t: ChunkTarget, prepared: AdmittedChunk, mode: WriteMode): Promise<ChunkCounts> {
  await client.query('begin');
  const done = await alreadyApplied(client, t);
  if (done) {
    await client.query('rollback');
    return done;
  }
  const now = new Date();
  const written = await WRITERS[mode](client, t, prepared, now);
  const writtenHashes = Buffer.concat(written.hashes);
  // An account without opt-outs (the common case for a first upload) is not probed number by number.
  const optedOut = await client.query<{ n: number }>(
    `select case when not exists (select 1 from opt_outs where account_id = $1) then 0
       else (select count(*)::int from generate_series(0, $3::int - 1) as i
             where exists (select 1 from opt_outs
                           where account_id = $1 and phone_hash = substring($2::bytea from i * ${HASH_BYTES} + 1 for ${HASH_BYTES})))
       end as n`,
    [t.accountId, writtenHashes, writtenHashes.length / HASH_BYTES],
  );
  const errors = [...prepared.errors, ...written.rejected];
  if (errors.length > 0) {
    await client.query(
      `insert into contact_import_errors (import_id, row_no, column_name, reason)
       select $1, e.row_no, e.column_name, e.reason from unnest($2::int[], $3::text[], $4::text[]) as e(row_no, column_name, reason)
       on conflict do nothing`,
      [t.importId, errors.map((e) => e.row), errors.map((e) => storableText(e.column)), errors.map((e) => storableText(e.reason))],
    );
  }
  const counts: ChunkCounts = {
    rows: t.rowCount,
    created: written.created,
    updated: written.updated,
    duplicates: prepared.duplicates + written.duplicates,
    invalid: errors.length,
    optedOut: optedOut.rows[0]!.n,
  };
  await client.query(
    `update contact_import_chunk_results set created = $3, updated = $4, duplicates = $5, invalid = $6, opted_out = $7
     where import_id = $1 and chunk_no = $2`,
    [t.importId, t.chunkNo, counts.created, counts.updated, counts.duplicates, counts.invalid, counts.optedOut],
  );
  await client.query('commit');
  return counts;
}

/**
 * Applies one prepared chunk in one transaction, claimed by its chunk_results row: a retried or
 * concurrent attempt of the same chunk waits for the first and then reads its counts instead.
 * New contacts go in by COPY: without looking anything up while the hint says the numbers are
 * new, else after locking the contacts that exist; if a number turns out to have a contact after
 * all, the chunk is applied again one step more forgiving (lookup, then INSERT … ON CONFLICT). Should PostgreSQL still refuse a row's data, the chunk
 * is applied again row by row and that row becomes the row's error. The claim keeps it exactly
 * once either way.
 */
export async function applyChunk(
  pool: Pool,
  t: ChunkTarget,
  prepared: AdmittedChunk,
  hint: ApplyHint = { numbersMayExist: true },
): Promise<ChunkCounts> {
  const client = await pool.connect();
  try {
    let mode: WriteMode = hint.numbersMayExist ? 'copy' : 'new';
    for (;;) {
      try {
        return await applyInTransaction(client, t, prepared, mode);
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        if (mode === 'new' && sqlStateOf(err) === UNIQUE_VIOLATION) {
          hint.numbersMayExist = true;
          mode = 'copy';
        } else if (mode === 'copy' && sqlStateOf(err) === UNIQUE_VIOLATION) mode = 'set';
        else if (mode !== 'row-by-row' && rowRejectionReason(err) !== null) mode = 'row-by-row';
        else throw err;
      }
    }
  } finally {
    client.release();
  }
}
