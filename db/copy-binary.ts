/** PostgreSQL's COPY BINARY format: the pieces both binary COPY writers here need. */

/** Signature, flags (none) and header extension length (none). */
export const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** A field count of -1 ends the stream. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

export const NULL_FIELD_BYTES = 4;
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;

/** A field of raw bytes (bytea, uuid, utf-8 text): its length, then the bytes. Returns the next offset. */
export function writeBytesField(out: Buffer, at: number, bytes: Uint8Array): number {
  out.writeInt32BE(bytes.length, at);
  out.set(bytes, at + 4);
  return at + 4 + bytes.length;
}

export function writeInt4Field(out: Buffer, at: number, value: number): number {
  out.writeInt32BE(4, at);
  return out.writeInt32BE(value, at + 4);
}

export function writeNullField(out: Buffer, at: number): number {
  return out.writeInt32BE(-1, at);
}

/** timestamptz: microseconds since 2000-01-01 UTC as a signed 64-bit integer. */
export function writeTimestampField(out: Buffer, at: number, ms: number): number {
  const micros = (ms - PG_EPOCH_MS) * 1000;
  const high = Math.floor(micros / TWO_32);
  out.writeInt32BE(8, at);
  out.writeInt32BE(high, at + 4);
  return out.writeUInt32BE(micros - high * TWO_32, at + 8);
}
