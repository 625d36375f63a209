import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ChunkPreparationInput, PackedChunk } from '../services/imports/chunk-preparation';

/** Preparing the chunk itself failed (it cannot be decrypted or parsed): the same input fails again. */
export class ChunkPreparationError extends Error {
  constructor(readonly causeType: string) {
    super('the staged chunk could not be prepared');
    this.name = 'ChunkPreparationError';
  }
}

interface Pending {
  resolve: (packed: PackedChunk) => void;
  reject: (err: Error) => void;
}

/**
 * Threads that decrypt, validate and seal staged chunks, so that work runs on other cores while
 * the activity's own thread ships chunks to PostgreSQL. One per core but one: the remaining core
 * is for that thread and PostgreSQL's backends (on 2 cores one thread prepares ~80,000 rows/s,
 * more than the rest of the pipeline passes, and a second one cost ~50 MB for no gain measured).
 */
export class PreparePool {
  private readonly threads: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn(i));
  }

  /** A thread that dies fails the jobs in flight (their activities retry) and is replaced. */
  private spawn(slot: number): Worker {
    // A thread's live data is its modules and a chunk or two; without a bound V8 lets garbage
    // grow its heap (and the worker's RSS) far past that before collecting.
    const thread = new Worker(join(__dirname, 'prepare-thread.js'), { resourceLimits: { maxOldGenerationSizeMb: 128 } });
    thread.on('message', (msg: { id: number; packed?: PackedChunk; failed?: string }) => {
      const job = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.packed) job?.resolve(msg.packed);
      else job?.reject(new ChunkPreparationError(msg.failed ?? 'Error'));
    });
    thread.on('exit', () => {
      for (const job of this.pending.values()) job.reject(new Error('a chunk-preparation thread exited'));
      this.pending.clear();
      if (!this.closing) this.threads[slot] = this.spawn(slot);
    });
    // After the listeners: adding a 'message' listener refs the thread's port again, which kept a
    // worker process alive after SIGTERM once an import had run.
    thread.unref();
    return thread;
  }

  get size(): number {
    return this.threads.length;
  }

  run(input: ChunkPreparationInput): Promise<PackedChunk> {
    const id = this.nextId++;
    const thread = this.threads[id % this.threads.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.postMessage({ id, input });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
