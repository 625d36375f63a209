import { AppError } from '../../lib/errors';

/**
 * Bounds on one CSV record, so staging memory depends on these and not on the file: csv-parse
 * holds at most one record, and a staged chunk at most CHUNK_MAX_CHARS of cell text.
 * A contact needs a few short fields; the bounds leave room for wide spreadsheets of attributes
 * (each attribute is bounded again, per contact, when the row is prepared).
 */
export const CSV_LIMITS = {
  /** Characters in one record (all its fields together). */
  maxRecordChars: 64 * 1024,
  /** Columns in one record, the header included. */
  maxColumns: 1000,
  /** Characters in one field. */
  maxFieldChars: 8 * 1024,
  /** A staged chunk is cut at this much cell text (names and values) even below its row count. */
  chunkMaxChars: 1024 * 1024,
};

/** A record that breaks a bound: the whole file is refused, naming the row (header = row 1), never its content. */
export function recordTooLarge(row: number, reason: string): AppError {
  return new AppError('validation', `row ${row}: ${reason}`, { fields: [{ field: 'file', reason: `row ${row}: ${reason}` }] });
}

/**
 * Holds one parsed record to the column and field bounds. Checked on the whole record rather than
 * in csv-parse's per-field cast, which builds a context object for every field; the record itself
 * is already bounded by maxRecordChars while it is parsed.
 */
export function checkRecord(record: string[], row: number): void {
  if (record.length > CSV_LIMITS.maxColumns) {
    throw recordTooLarge(row, `the record has more than ${CSV_LIMITS.maxColumns} columns`);
  }
  for (const value of record) {
    if (value.length > CSV_LIMITS.maxFieldChars) throw recordTooLarge(row, `a field exceeds ${CSV_LIMITS.maxFieldChars} characters`);
  }
}
