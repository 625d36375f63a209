import type { Pool } from 'pg';
import { countsFromRow, type ChunkCounts, type StoredCounts } from './chunk-applier';

const SUMS = `coalesce(sum(c.row_count), 0)::int as rows, coalesce(sum(r.created), 0)::int as created,
  coalesce(sum(r.updated), 0)::int as updated, coalesce(sum(r.duplicates), 0)::int as duplicates,
  coalesce(sum(r.invalid), 0)::int as invalid, coalesce(sum(r.opted_out), 0)::int as opted_out`;

/** The counts of the applied chunks in [fromChunk, toChunk), from their claims: exact whatever was retried. */
export async function sumChunkResults(pool: Pool, importId: string, fromChunk: number, toChunk: number): Promise<ChunkCounts> {
  const { rows } = await pool.query<StoredCounts & { rows: number }>(
    `select ${SUMS}
     from contact_import_chunk_results r
     join contact_import_chunks c on c.import_id = r.import_id and c.chunk_no = r.chunk_no
     where r.import_id = $1 and r.chunk_no >= $2 and r.chunk_no < $3`,
    [importId, fromChunk, toChunk],
  );
  const r = rows[0]!; // an aggregate without group by always returns one row
  return { rows: r.rows, ...countsFromRow(r) };
}

/** Chunks of [fromChunk, toChunk) already applied (by an earlier attempt). */
export async function appliedChunks(pool: Pool, importId: string, fromChunk: number, toChunk: number): Promise<Set<number>> {
  const { rows } = await pool.query<{ chunk_no: number }>(
    'select chunk_no from contact_import_chunk_results where import_id = $1 and chunk_no >= $2 and chunk_no < $3',
    [importId, fromChunk, toChunk],
  );
  return new Set(rows.map((r) => r.chunk_no));
}

/**
 * Copies the applied chunks' counts onto the import row, for views while it runs. Outside the
 * chunks' own transactions, so chunks applied side by side do not queue on this one row.
 */
export async function recordImportProgress(pool: Pool, importId: string): Promise<void> {
  await pool.query(
    `update contact_imports i set processed_rows = s.rows, created = s.created, updated = s.updated,
       duplicates = s.duplicates, invalid = s.invalid, opted_out = s.opted_out, updated_at = now()
     from (select ${SUMS} from contact_import_chunk_results r
           join contact_import_chunks c on c.import_id = r.import_id and c.chunk_no = r.chunk_no
           where r.import_id = $1) s
     where i.id = $1 and i.status = 'running'`,
    [importId],
  );
}
