import type { PackedChunk } from '../services/imports/chunk-preparation';

/** A copy with an ArrayBuffer of its own: a view into Node's shared Buffer pool cannot be transferred. */
function ownedCopy(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/**
 * The packed chunk with its two byte arrays in buffers it owns, and the list to transfer.
 * Buffer.concat may return a slice of Node's shared pool, which is marked untransferable: Node 20
 * silently clones it, Node ≥ 21 throws DataCloneError, so every chunk would fail there.
 */
export function transferablePacked(packed: PackedChunk): { packed: PackedChunk; transfer: ArrayBuffer[] } {
  const hashes = ownedCopy(packed.hashes);
  const sealed = ownedCopy(packed.sealed);
  const copyTuples = ownedCopy(packed.copyTuples);
  return {
    packed: { ...packed, hashes, sealed, copyTuples },
    transfer: [hashes.buffer as ArrayBuffer, sealed.buffer as ArrayBuffer, copyTuples.buffer as ArrayBuffer],
  };
}
