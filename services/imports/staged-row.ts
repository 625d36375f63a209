import type { FieldBinding } from '../../lib/crypto/sealed-field';
import type { AttributeValue } from '../contacts/contact-pii';

/** One CSV record after header mapping, as staged (sealed in chunks) between upload and processing. */
export interface StagedRow {
  row: number;
  phone: string;
  name: string | null;
  optInSource: string | null;
  optInIp: string | null;
  optInAt: string | null;
  attributes: Record<string, AttributeValue>;
  /** A structural problem found while parsing (e.g. wrong column count); the row is reported, not imported. */
  error?: { column: string | null; reason: string };
}

/** How many rows go in one staged chunk: the unit of work, of retry and of progress. */
export const DEFAULT_CHUNK_ROWS = 2000;

/** A staged chunk's payload is bound to its import and chunk number. */
export const stagedChunkBinding = (importId: string, chunkNo: number): FieldBinding => ({
  purpose: 'contact_import_chunks.payload',
  rowId: `${importId}:${chunkNo}`,
});
