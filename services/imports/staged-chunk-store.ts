import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { COPY_BINARY_HEADER } from '../../db/copy-binary';
import { isUuid } from '../../lib/ids';

export interface StagedChunk {
  payload: Buffer;
  rowCount: number;
}

/**
 * One staged chunk, read with COPY BINARY: the payload (~200 KB) arrives as its bytes, where a
 * query would have PostgreSQL write it as hex text and this process parse that string back (the
 * largest garbage on the activity's thread). COPY takes no parameters, so both are checked here.
 */
export async function readStagedChunk(pool: Pool, importId: string, chunkNo: number): Promise<StagedChunk | undefined> {
  if (!isUuid(importId) || !Number.isInteger(chunkNo)) throw new Error('readStagedChunk: malformed chunk key');
  const parts: Buffer[] = [];
  const client = await pool.connect();
  let failed = false;
  try {
    await pipeline(
      client.query(
        copyTo(
          `copy (select payload, row_count from contact_import_chunks where import_id = '${importId}' and chunk_no = ${chunkNo}) to stdout (format binary)`,
        ),
      ),
      new Writable({
        write(part: Buffer, _enc, done) {
          parts.push(part);
          done();
        },
      }),
    );
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.release(failed); // a connection that broke off mid-COPY is discarded, not reused
  }
  return parseOneTuple(Buffer.concat(parts));
}

/** header, then either the trailer (no row) or one tuple of (bytea, int4) and the trailer. */
function parseOneTuple(data: Buffer): StagedChunk | undefined {
  let at = COPY_BINARY_HEADER.length;
  const fields = data.readInt16BE(at);
  if (fields === -1) return undefined;
  at += 2;
  const payloadBytes = data.readInt32BE(at);
  at += 4;
  const payload = data.subarray(at, at + payloadBytes);
  at += payloadBytes + 4; // the int4's length word
  return { payload, rowCount: data.readInt32BE(at) };
}
