import type { ApplicableChunk } from './chunk-preparation';

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

  admit(chunk: ApplicableChunk): ApplicableChunk {
    let dropped = 0;
    const contacts = chunk.contacts.filter((c) => {
      const key = c.phoneHash.toString('latin1');
      if (this.seen.has(key)) {
        dropped += 1;
        return false;
      }
      this.seen.add(key);
      return true;
    });
    return dropped === 0 ? chunk : { ...chunk, contacts, duplicates: chunk.duplicates + dropped };
  }
}
