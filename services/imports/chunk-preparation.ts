import type { ImportMapping } from '../../db/entities/contact-import';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { openJson } from '../../lib/crypto/sealed-json';
import { sealPii } from '../contacts/contact-pii';
import { prepareRows, type PreparedChunk, type RowError } from './row-preparation';
import { stagedChunkBinding, type StagedRow } from './staged-row';

export interface ChunkPreparationInput {
  payload: Uint8Array;
  importId: string;
  chunkNo: number;
  dataKey: DataKey;
  phoneHashKey: Uint8Array;
  mapping: ImportMapping;
}

/**
 * A prepared chunk packed into a few flat buffers, so it crosses a thread boundary by transfer
 * instead of cloning thousands of small Buffers.
 */
export interface PackedChunk {
  rows: number[];
  ids: string[];
  hashes: Uint8Array;
  sealed: Uint8Array;
  sealedEnds: number[];
  optInSources: (string | null)[];
  optInAts: (number | null)[];
  errors: RowError[];
  duplicates: number;
}

const HASH_BYTES = 32;
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Decrypts a staged chunk and validates, normalizes and seals its rows. Pure CPU. */
export function prepareChunk(input: ChunkPreparationInput): PackedChunk {
  const { dataKey } = input;
  const staged = openJson<StagedRow[]>(dataKey, stagedChunkBinding(input.importId, input.chunkNo), buf(input.payload));
  const prepared = prepareRows(staged, input.mapping, buf(input.phoneHashKey), (id, pii) => sealPii(dataKey, id, pii));
  const sealedEnds: number[] = [];
  let end = 0;
  for (const c of prepared.contacts) sealedEnds.push((end += c.sealed.length));
  return {
    rows: prepared.contacts.map((c) => c.row),
    ids: prepared.contacts.map((c) => c.id),
    hashes: Buffer.concat(prepared.contacts.map((c) => c.phoneHash)),
    sealed: Buffer.concat(prepared.contacts.map((c) => c.sealed)),
    sealedEnds,
    optInSources: prepared.contacts.map((c) => c.optInSource),
    optInAts: prepared.contacts.map((c) => c.optInAt?.getTime() ?? null),
    errors: prepared.errors,
    duplicates: prepared.duplicates,
  };
}

export function unpackChunk(packed: PackedChunk): PreparedChunk {
  const hashes = buf(packed.hashes);
  const sealed = buf(packed.sealed);
  return {
    contacts: packed.rows.map((row, i) => ({
      row,
      id: packed.ids[i]!,
      phoneHash: hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
      sealed: sealed.subarray(i === 0 ? 0 : packed.sealedEnds[i - 1], packed.sealedEnds[i]),
      optInSource: packed.optInSources[i] ?? null,
      optInAt: packed.optInAts[i] == null ? null : new Date(packed.optInAts[i]),
    })),
    errors: packed.errors,
    duplicates: packed.duplicates,
  };
}
