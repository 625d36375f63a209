import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, writeBytesField, writeNullField, writeTimestampField } from '../../db/copy-binary';
import type { PreparedContact } from './row-preparation';

/** The columns of the tuples contactCopyTuples writes, in their order. */
export const CONTACTS_COPY_COLUMNS = 'id, account_id, phone_hash, pii, opt_in_source, opt_in_at, last_import_id, created_at, updated_at';
const FIELDS = 9;
const UUID_BYTES = 16;
const TIMESTAMP_BYTES = 8;

/**
 * Each contact as a new `contacts` row in COPY BINARY, written where the chunk is prepared (a
 * preparation thread), so applying a chunk of new numbers is one COPY of bytes already made: no
 * text escaping on either side, and the cheapest way PostgreSQL has to take rows in.
 * `ends[i]` is where contact i's tuple ends in `tuples`.
 */
export function contactCopyTuples(
  contacts: PreparedContact[],
  idBytes: Buffer,
  accountId: Buffer,
  importId: Buffer,
  now: number,
): { tuples: Buffer; ends: number[] } {
  let size = 0;
  const sources: (Buffer | null)[] = [];
  for (const c of contacts) {
    const source = c.optInSource === null ? null : Buffer.from(c.optInSource);
    sources.push(source);
    size += 2 + FIELDS * 4 + UUID_BYTES + accountId.length + c.phoneHash.length + c.sealed.length;
    size += (source?.length ?? 0) + importId.length + 3 * TIMESTAMP_BYTES;
  }
  const out = Buffer.allocUnsafe(size);
  const ends: number[] = [];
  let at = 0;
  contacts.forEach((c, i) => {
    at = out.writeInt16BE(FIELDS, at);
    at = writeBytesField(out, at, idBytes.subarray(i * UUID_BYTES, (i + 1) * UUID_BYTES));
    at = writeBytesField(out, at, accountId);
    at = writeBytesField(out, at, c.phoneHash);
    at = writeBytesField(out, at, c.sealed);
    const source = sources[i]!;
    at = source === null ? writeNullField(out, at) : writeBytesField(out, at, source);
    at = c.optInAt === null ? writeNullField(out, at) : writeTimestampField(out, at, c.optInAt.getTime());
    at = writeBytesField(out, at, importId);
    at = writeTimestampField(out, at, now);
    at = writeTimestampField(out, at, now);
    ends.push(at);
  });
  return { tuples: out.subarray(0, at), ends };
}

/** A whole COPY BINARY stream around tuples. */
export const copyStreamOf = (tuples: Buffer[]): Buffer[] => [COPY_BINARY_HEADER, ...tuples, COPY_BINARY_TRAILER];
