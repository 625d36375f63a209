import { randomBytes } from 'node:crypto';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { transferablePacked } from '../activities/packed-transfer';
import { PreparePool } from '../activities/prepare-pool';
import { sealJson } from '../lib/crypto/sealed-json';
import { openPii } from '../services/contacts/contact-pii';
import { prepareChunk, unpackContacts, type ChunkPreparationInput, type PackedChunk } from '../services/imports/chunk-preparation';
import { stagedChunkBinding, type StagedRow } from '../services/imports/staged-row';
import type { DataKey } from '../lib/crypto/sealed-field';

const accountId = '01a20c00-0000-7000-8000-000000000001';
const importId = '01a20c00-0000-7000-8000-0000000000aa';
const dataKey: DataKey = { accountId, version: 1, key: randomBytes(32) };
const phoneHashKey = randomBytes(32);

/** A small chunk, so Buffer.concat answers with slices of Node's shared 8 KiB pool. */
function input(): ChunkPreparationInput {
  const rows: StagedRow[] = [
    { row: 2, phone: '+14155550001', name: 'Ann', optInSource: 'web', optInIp: null, optInAt: '2024-05-01T12:00:00Z', attributes: {} },
    { row: 3, phone: 'nope', name: null, optInSource: null, optInIp: null, optInAt: null, attributes: {} },
  ];
  return {
    payload: sealJson(dataKey, stagedChunkBinding(importId, 0), rows),
    importId,
    chunkNo: 0,
    dataKey,
    phoneHashKey,
    mapping: { phone: 'phone', name: 'name', optInSource: 'opt_in_source', defaultCountry: 'US' },
  };
}

function expectPrepared(packed: PackedChunk): void {
  expect(packed.errors).toEqual([{ row: 3, column: 'phone', reason: 'not a phone number' }]);
  const contacts = unpackContacts(packed, [0]);
  expect(contacts.map((c) => c.row)).toEqual([2]);
  expect(contacts[0]!.optInAt).toEqual(new Date('2024-05-01T12:00:00Z'));
  expect(contacts[0]!.tuple.byteLength).toBe(packed.copyTuples.byteLength);
  expect(openPii(dataKey, contacts[0]!.id, contacts[0]!.sealed)).toEqual({
    phone: '+14155550001',
    name: 'Ann',
    attributes: {},
    optInIp: null,
  });
}

function receive(port: MessagePort): Promise<PackedChunk> {
  return new Promise((resolve) => port.once('message', (packed: PackedChunk) => resolve(packed)));
}

const pool = new PreparePool(1);
afterAll(() => pool.close());

describe('prepared chunks cross threads by transfer', () => {
  // Node marks its Buffer pools untransferable: Node 20 quietly clones them, Node ≥ 21 throws
  // DataCloneError. Only a buffer the chunk owns is really moved (and detached here).
  it('transfers only ArrayBuffers it owns, so the transfer really moves them on every Node version', async () => {
    const { packed, transfer } = transferablePacked(prepareChunk(input()));
    for (const view of [packed.hashes, packed.sealed, packed.copyTuples]) {
      expect(view.byteOffset).toBe(0);
      expect(view.buffer.byteLength).toBe(view.byteLength);
    }
    const { port1, port2 } = new MessageChannel();
    const received = receive(port2);
    port1.postMessage(packed, transfer);
    expect(packed.hashes.byteLength).toBe(0); // moved, not cloned
    expect(packed.sealed.byteLength).toBe(0);
    expect(packed.copyTuples.byteLength).toBe(0);
    expectPrepared(await received);
    port1.close();
    port2.close();
  });

  it('a chunk prepared on a real preparation thread arrives whole', async () => {
    expectPrepared(await pool.run(input()));
  });
});
