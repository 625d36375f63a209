import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { sealJson } from '../../lib/crypto/sealed-json';
import { AppError } from '../../lib/errors';
import { resolveColumns, type ColumnOverrides, type ResolvedColumns } from './column-mapping';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, writeBytesField, writeInt4Field } from '../../db/copy-binary';
import { uuidToBytes } from '../../lib/ids';
import { checkRecord, CSV_LIMITS, recordTooLarge } from './csv-limits';
import { stagedChunkBinding, type StagedRow } from './staged-row';

export interface StageResult {
  columns: ResolvedColumns;
  totalRows: number;
  chunkCount: number;
}

export interface StageOptions {
  importId: string;
  accountId: string;
  dataKey: DataKey;
  overrides: ColumnOverrides;
  chunkRows: number;
  maxBytes: number;
  maxRows: number;
}

const cell = (record: string[], i: number): string | null => {
  if (i < 0) return null;
  const v = record[i]?.trim();
  return v === undefined || v === '' ? null : v;
};

/** Cell text a staged row carries (values and attribute names), to bound a chunk's size. */
function stagedChars(record: string[], cols: ResolvedColumns): number {
  let chars = 0;
  for (const v of record) chars += v.length;
  for (const attr of cols.attributeColumns) chars += attr.name.length;
  return chars;
}

/** csv-parse's own messages quote the file; the client gets the row and the kind of problem only. */
function csvProblem(err: Error & { code: string; records?: number }): AppError {
  const row = (err.records ?? 0) + 1;
  if (err.code === 'CSV_MAX_RECORD_SIZE') return recordTooLarge(row, `the record exceeds ${CSV_LIMITS.maxRecordChars} characters`);
  return recordTooLarge(row, `the file is not valid CSV (${err.code})`);
}

function toStagedRow(record: string[], row: number, cols: ResolvedColumns, width: number): StagedRow {
  const staged: StagedRow = {
    row,
    phone: record[cols.index.phone]?.trim() ?? '',
    name: cell(record, cols.index.name),
    optInSource: cell(record, cols.index.optInSource),
    optInIp: cell(record, cols.index.optInIp),
    optInAt: cell(record, cols.index.optInAt),
    attributes: {},
  };
  for (const attr of cols.attributeColumns) {
    const value = cell(record, attr.index);
    if (value !== null) staged.attributes[attr.name] = value;
  }
  if (record.length !== width) {
    staged.error = { column: null, reason: `expected ${width} columns, found ${record.length}` };
  }
  return staged;
}

const PARSE_SLICE_BYTES = 4096;

/** The most bytes a record within the limits can span: 3 UTF-8 bytes per character, 2 quotes and a delimiter per column, CRLF. */
const RAW_RECORD_MAX_BYTES = 3 * CSV_LIMITS.maxRecordChars + 3 * CSV_LIMITS.maxColumns + 2;

/**
 * Encodes one staged chunk as a COPY BINARY tuple: the sealed payload goes in as its bytes, with
 * no hex text to write here or to decode in PostgreSQL.
 */
function copyTuple(importId: Buffer, chunkNo: number, rows: StagedRow[], dataKey: DataKey, importIdText: string): Buffer {
  const payload = sealJson(dataKey, stagedChunkBinding(importIdText, chunkNo), rows);
  const tuple = Buffer.allocUnsafe(2 + 4 + importId.length + 3 * (4 + 4) + 4 + payload.length);
  let at = tuple.writeInt16BE(5, 0);
  at = writeBytesField(tuple, at, importId);
  at = writeInt4Field(tuple, at, chunkNo);
  at = writeInt4Field(tuple, at, rows[0]!.row);
  at = writeInt4Field(tuple, at, rows.length);
  writeBytesField(tuple, at, payload);
  return tuple;
}

/**
 * Streams a CSV upload into contact_import_chunks with COPY: parsed and header-mapped in Node,
 * grouped into sealed chunks, never written to a local file. The whole upload is one COPY, so a
 * failed upload leaves nothing staged.
 */
export async function stageCsv(pool: Pool, source: Readable, options: StageOptions): Promise<StageResult> {
  let received = 0;
  const limiter = new Transform({
    transform(buf: Buffer, _enc, done) {
      received += buf.length;
      if (received > options.maxBytes) {
        done(new AppError('payload_too_large', `the file is larger than ${options.maxBytes} bytes`));
        return;
      }
      const tooWide = wideRecord();
      if (tooWide) {
        done(tooWide);
        return;
      }
      // csv-parse emits every record of a chunk at once, ignoring backpressure; small slices keep
      // that burst (and what it keeps alive) small when lines are short.
      for (let at = 0; at < buf.length; at += PARSE_SLICE_BYTES) this.push(buf.subarray(at, at + PARSE_SLICE_BYTES));
      done();
    },
  });
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    relax_quotes: true,
    max_record_size: CSV_LIMITS.maxRecordChars,
  });

  // csv-parse's record size counts characters, and an empty field has none: a line of commas would
  // grow one record without bound. A record within the limits spans at most RAW_RECORD_MAX_BYTES,
  // so more bytes parsed without a record ending can only be too many columns.
  let recordsSeen = -1;
  let recordStartBytes = 0;
  const wideRecord = (): AppError | undefined => {
    const { records, bytes } = parser.info;
    if (records !== recordsSeen) {
      recordsSeen = records;
      recordStartBytes = bytes;
      return undefined;
    }
    if (bytes - recordStartBytes <= RAW_RECORD_MAX_BYTES) return undefined;
    return recordTooLarge(records + 1, `the record has more than ${CSV_LIMITS.maxColumns} columns`);
  };

  let columns: ResolvedColumns | undefined;
  let width = 0;
  let rowNo = 1; // the header is row 1, as in a spreadsheet
  let chunkNo = 0;
  let pending: StagedRow[] = [];
  let pendingChars = 0;
  const importId = uuidToBytes(options.importId);
  let headerSent = false;
  /** The next chunk's tuple, after the stream's header if it is the first. */
  const tuple = (rows: StagedRow[]) => {
    const t = copyTuple(importId, chunkNo++, rows, options.dataKey, options.importId);
    if (headerSent) return t;
    headerSent = true;
    return Buffer.concat([COPY_BINARY_HEADER, t]);
  };

  const chunker = new Transform({
    writableObjectMode: true,
    transform(record: string[], _enc, done) {
      try {
        checkRecord(record, columns ? rowNo + 1 : 1); // the header is row 1, the next record rowNo + 1
        if (!columns) {
          columns = resolveColumns(record, options.overrides);
          width = record.length;
          done();
          return;
        }
        rowNo += 1;
        if (rowNo - 1 > options.maxRows) {
          done(new AppError('payload_too_large', `the file has more than ${options.maxRows} rows`));
          return;
        }
        pending.push(toStagedRow(record, rowNo, columns, width));
        pendingChars += stagedChars(record, columns);
        if (pending.length >= options.chunkRows || pendingChars >= CSV_LIMITS.chunkMaxChars) {
          const line = tuple(pending);
          pending = [];
          pendingChars = 0;
          done(null, line);
          return;
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      if (pending.length > 0) this.push(tuple(pending));
      if (!headerSent) this.push(COPY_BINARY_HEADER);
      this.push(COPY_BINARY_TRAILER);
      done();
    },
  });

  const client = await pool.connect();
  let failed = false;
  try {
    const copy = client.query(
      copyFrom('copy contact_import_chunks (import_id, chunk_no, first_row, row_count, payload) from stdin (format binary)'),
    ) as Writable;
    await pipeline(source, limiter, parser, chunker, copy);
  } catch (err) {
    failed = true;
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) throw csvProblem(err as Error & { code: string });
    throw err;
  } finally {
    client.release(failed); // a connection that broke off mid-COPY is discarded, not reused
  }
  if (!columns) throw AppError.invalid('file', 'the file is empty: a header row is required');
  return { columns, totalRows: rowNo - 1, chunkCount: chunkNo };
}
