import { AdmittedChunk, type PackedChunk } from './chunk-preparation';

const HASH_BYTES = 32;

/**
 * First row wins across the chunks of one window (the chunks an activity applies side by side).
 * Chunks are admitted in file order; a contact whose number an earlier chunk of the window already
 * has is dropped and counted as that chunk's duplicate. The admitted chunks then hold disjoint
 * numbers, so they can be applied concurrently, in any order, with the same outcome. Chunks of
 * earlier windows are committed before a window starts: their rows are told apart in the database
 * (a contact this import already wrote is a duplicate there).
 */
export class FileOrderDedupe {
  private readonly seen = new Set<string>();

  admit(packed: PackedChunk): AdmittedChunk {
    const hashes = Buffer.from(packed.hashes.buffer, packed.hashes.byteOffset, packed.hashes.byteLength);
    const kept: number[] = [];
    for (let i = 0; i < packed.rows.length; i++) {
      const key = hashes.toString('latin1', i * HASH_BYTES, (i + 1) * HASH_BYTES);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      kept.push(i);
    }
    const dropped = packed.rows.length - kept.length;
    return new AdmittedChunk(packed, dropped === 0 ? null : kept, packed.duplicates + dropped);
  }
}
