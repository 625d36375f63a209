import { parentPort } from 'node:worker_threads';
import { prepareChunk, type ChunkPreparationInput } from '../services/imports/chunk-preparation';
import { transferablePacked } from './packed-transfer';

interface Job {
  id: number;
  input: ChunkPreparationInput;
}

parentPort!.on('message', ({ id, input }: Job) => {
  let prepared;
  try {
    prepared = transferablePacked(prepareChunk(input));
  } catch (err) {
    // Only the error's type crosses over: a JSON parse message would quote the decrypted rows.
    parentPort!.postMessage({ id, failed: err instanceof Error ? err.name : 'Error' });
    return;
  }
  parentPort!.postMessage({ id, packed: prepared.packed }, prepared.transfer);
});
