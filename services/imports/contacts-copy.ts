import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, writeBytesField, writeNullField, writeTimestampField } from '../../db/copy-binary';
import type { ApplicableContact } from './chunk-preparation';

/** The columns contactsCopyBinary writes, in its order. */
export const CONTACTS_COPY_COLUMNS = 'id, account_id, phone_hash, pii, opt_in_source, opt_in_at, last_import_id, created_at, updated_at';
const FIELDS = 9;
const TIMESTAMP_BYTES = 8;

/**
 * New contacts as one COPY BINARY stream (header, tuples, trailer): no text escaping on either
 * side, and the cheapest way PostgreSQL has to take rows in.
 */
export function contactsCopyBinary(contacts: ApplicableContact[], accountId: Buffer, importId: Buffer, now: Date): Buffer {
  let size = COPY_BINARY_HEADER.length + COPY_BINARY_TRAILER.length;
  const sources: (Buffer | null)[] = [];
  for (const c of contacts) {
    const source = c.optInSource === null ? null : Buffer.from(c.optInSource);
    sources.push(source);
    size += 2 + FIELDS * 4 + c.idBytes.length + accountId.length + c.phoneHash.length + c.sealed.length;
    size += (source?.length ?? 0) + importId.length + 3 * TIMESTAMP_BYTES;
  }
  const out = Buffer.allocUnsafe(size);
  let at = COPY_BINARY_HEADER.copy(out, 0);
  const nowMs = now.getTime();
  contacts.forEach((c, i) => {
    at = out.writeInt16BE(FIELDS, at);
    at = writeBytesField(out, at, c.idBytes);
    at = writeBytesField(out, at, accountId);
    at = writeBytesField(out, at, c.phoneHash);
    at = writeBytesField(out, at, c.sealed);
    const source = sources[i]!;
    at = source === null ? writeNullField(out, at) : writeBytesField(out, at, source);
    at = c.optInAt === null ? writeNullField(out, at) : writeTimestampField(out, at, c.optInAt.getTime());
    at = writeBytesField(out, at, importId);
    at = writeTimestampField(out, at, nowMs);
    at = writeTimestampField(out, at, nowMs);
  });
  at += COPY_BINARY_TRAILER.copy(out, at);
  return out.subarray(0, at);
}
