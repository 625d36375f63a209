import type { ImportMapping } from '../../db/entities/contact-import';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { phoneHasher } from '../../lib/crypto/phone-hash';
import { fieldSealer } from '../../lib/crypto/sealed-field';
import { openJson } from '../../lib/crypto/sealed-json';
import { contactPiiBinding } from '../contacts/contact-pii';
import { prepareRows, type PreparedContact, type RowError } from './row-preparation';
import { stagedChunkBinding, type StagedRow } from './staged-row';
import { contactCopyTuples } from './contacts-copy';
import { uuidToBytes } from '../../lib/ids';

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
  /** Each contact as a new contacts row in COPY BINARY (see contactCopyTuples), ending at tupleEnds[i]. */
  copyTuples: Uint8Array;
  tupleEnds: number[];
}

/** A prepared contact as the applier's slower paths take it; `tuple` is its row for a COPY. */
export interface ApplicableContact extends PreparedContact {
  tuple: Buffer;
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
  const copy = contactCopyTuples(prepared.contacts, idBytes, uuidToBytes(dataKey.accountId), uuidToBytes(input.importId), Date.now());
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
    copyTuples: copy.tuples,
    tupleEnds: copy.ends,
  };
}

/**
 * The contacts at `indices` of a packed chunk as objects, for the applier's paths that look
 * numbers up or merge (the all-new path sends the packed bytes as they are).
 */
export function unpackContacts(packed: PackedChunk, indices: number[]): ApplicableContact[] {
  const hashes = buf(packed.hashes);
  const sealed = buf(packed.sealed);
  const tuples = buf(packed.copyTuples);
  return indices.map((i) => ({
    row: packed.rows[i]!,
    id: packed.ids[i]!,
    phoneHash: hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
    sealed: sealed.subarray(i === 0 ? 0 : packed.sealedEnds[i - 1], packed.sealedEnds[i]),
    optInSource: packed.optInSources[i] ?? null,
    optInAt: packed.optInAts[i] == null ? null : new Date(packed.optInAts[i]),
    tuple: tuples.subarray(i === 0 ? 0 : packed.tupleEnds[i - 1], packed.tupleEnds[i]),
  }));
}

/**
 * A prepared chunk as admitted for applying: the contacts it keeps (`kept`, or all of them when
 * null) after first-row-wins across its window, and the duplicates that removed.
 */
export class AdmittedChunk {
  constructor(
    readonly packed: PackedChunk,
    private readonly kept: number[] | null,
    /** Rows whose number an earlier row of the file already has (within the chunk, or within its window). */
    readonly duplicates: number,
  ) {}

  get errors(): RowError[] {
    return this.packed.errors;
  }

  get size(): number {
    return this.kept?.length ?? this.packed.rows.length;
  }

  /** The kept contacts' phone hashes, concatenated. */
  hashes(): Buffer {
    const all = buf(this.packed.hashes);
    if (!this.kept) return all;
    return Buffer.concat(this.kept.map((i) => all.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
  }

  /** The kept contacts' COPY tuples: the packed bytes themselves when all are kept. */
  copyTuples(): Buffer[] {
    const tuples = buf(this.packed.copyTuples);
    if (!this.kept) return [tuples];
    const ends = this.packed.tupleEnds;
    return this.kept.map((i) => tuples.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
  }

  contacts(): ApplicableContact[] {
    return unpackContacts(this.packed, this.kept ?? this.packed.rows.map((_, i) => i));
  }
}
