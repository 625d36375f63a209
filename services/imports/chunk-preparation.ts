import type { ImportMapping } from '../../db/entities/contact-import';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { phoneHasher } from '../../lib/crypto/phone-hash';
import { fieldSealer } from '../../lib/crypto/sealed-field';
import { openJson } from '../../lib/crypto/sealed-json';
import { contactPiiBinding } from '../contacts/contact-pii';
import { prepareRows, type PreparedContact, type RowError } from './row-preparation';
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
  /** The same ids as 16 bytes each, as COPY BINARY writes a uuid. */
  idBytes: Uint8Array;
  hashes: Uint8Array;
  sealed: Uint8Array;
  sealedEnds: number[];
  optInSources: (string | null)[];
  optInAts: (number | null)[];
  errors: RowError[];
  duplicates: number;
}

/** A prepared contact as the applier gets it: its id also as the 16 bytes COPY BINARY writes. */
export interface ApplicableContact extends PreparedContact {
  idBytes: Buffer;
}

export interface ApplicableChunk {
  contacts: ApplicableContact[];
  errors: RowError[];
  /** Rows whose number an earlier row of the file already has (within the chunk, or within its window). */
  duplicates: number;
}

const HASH_BYTES = 32;
const ID_BYTES = 16;

/** A uuid's 16 bytes, written at `offset`. */
function uuidBytesInto(id: string, out: Buffer, offset: number): void {
  out.write(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24), offset, 'hex');
}
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Decrypts a staged chunk and validates, normalizes and seals its rows. Pure CPU. */
export function prepareChunk(input: ChunkPreparationInput): PackedChunk {
  const { dataKey } = input;
  const staged = openJson<StagedRow[]>(dataKey, stagedChunkBinding(input.importId, input.chunkNo), buf(input.payload));
  const sealField = fieldSealer(dataKey, contactPiiBinding('').purpose);
  const prepared = prepareRows(staged, input.mapping, phoneHasher(buf(input.phoneHashKey)), (id, pii) =>
    sealField(id, Buffer.from(JSON.stringify(pii))),
  );
  const idBytes = Buffer.allocUnsafe(prepared.contacts.length * ID_BYTES);
  prepared.contacts.forEach((c, i) => uuidBytesInto(c.id, idBytes, i * ID_BYTES));
  const sealedEnds: number[] = [];
  let end = 0;
  for (const c of prepared.contacts) sealedEnds.push((end += c.sealed.length));
  return {
    rows: prepared.contacts.map((c) => c.row),
    ids: prepared.contacts.map((c) => c.id),
    idBytes,
    hashes: Buffer.concat(prepared.contacts.map((c) => c.phoneHash)),
    sealed: Buffer.concat(prepared.contacts.map((c) => c.sealed)),
    sealedEnds,
    optInSources: prepared.contacts.map((c) => c.optInSource),
    optInAts: prepared.contacts.map((c) => c.optInAt?.getTime() ?? null),
    errors: prepared.errors,
    duplicates: prepared.duplicates,
  };
}

export function unpackChunk(packed: PackedChunk): ApplicableChunk {
  const hashes = buf(packed.hashes);
  const sealed = buf(packed.sealed);
  const idBytes = buf(packed.idBytes);
  return {
    contacts: packed.rows.map((row, i) => ({
      row,
      id: packed.ids[i]!,
      idBytes: idBytes.subarray(i * ID_BYTES, (i + 1) * ID_BYTES),
      phoneHash: hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
      sealed: sealed.subarray(i === 0 ? 0 : packed.sealedEnds[i - 1], packed.sealedEnds[i]),
      optInSource: packed.optInSources[i] ?? null,
      optInAt: packed.optInAts[i] == null ? null : new Date(packed.optInAts[i]),
    })),
    errors: packed.errors,
    duplicates: packed.duplicates,
  };
}
