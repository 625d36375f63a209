import { parentPort } from 'node:worker_threads';
import { prepareChunk, type ChunkPreparationInput } from '../services/imports/chunk-preparation';

interface Job {
  id: number;
  input: ChunkPreparationInput;
}

parentPort!.on('message', ({ id, input }: Job) => {
  try {
    const packed = prepareChunk(input);
    const transfer = [packed.hashes.buffer, packed.sealed.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ id, packed }, [...new Set(transfer)]);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
