import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLY_CONCURRENCY } from '../activities/import-activities';
import { sealJson } from '../lib/crypto/sealed-json';
import { uuidv7 } from '../lib/ids';
import { applyChunk } from '../services/imports/chunk-applier';
import { prepareChunk } from '../services/imports/chunk-preparation';
import { FileOrderDedupe } from '../services/imports/file-order-dedupe';
import { stagedChunkBinding, type StagedRow } from '../services/imports/staged-row';
import { CHUNKS_PER_ACTIVITY } from '../workflows/import-contacts';
import { signUp } from './support/accounts';
import { csvOf, phoneFor } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { importAndWait } from './support/imports';

const CHUNK_ROWS = 2;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: true, importChunkRows: CHUNK_ROWS });
});
afterAll(() => h.close());

async function contactNames(auth: Record<string, string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let after: string | undefined;
  for (;;) {
    const page = await request(h.app)
      .get('/v1/contacts')
      .query({ limit: 100, ...(after ? { after } : {}) })
      .set(auth);
    expect(page.status).toBe(200);
    for (const c of page.body.data as { phone: string; name: string }[]) names.set(c.phone, c.name);
    if (!page.body.nextCursor) return names;
    after = page.body.nextCursor;
  }
}

describe('parallel apply keeps first-row-wins within a file', () => {
  it('every number keeps its first row when its repeats sit in chunks applied side by side', async () => {
    expect(APPLY_CONCURRENCY).toBeGreaterThan(1);
    const acct = await signUp(h.app, 'Parallel');
    // 40 numbers; each one's repeat comes three rows later, so first and repeat sit in neighbouring
    // two-row chunks of one window, which are applied concurrently.
    const NUMBERS = 40;
    const rows: string[][] = [];
    for (let k = 0; k < NUMBERS; k++) {
      rows.push([phoneFor(k), `First ${k}`]);
      if (k >= 2) rows.push([phoneFor(k - 2), `Repeat ${k - 2}`]);
    }
    rows.push([phoneFor(NUMBERS - 2), `Repeat ${NUMBERS - 2}`], [phoneFor(NUMBERS - 1), `Repeat ${NUMBERS - 1}`]);
    expect(rows.length / CHUNK_ROWS).toBeLessThanOrEqual(CHUNKS_PER_ACTIVITY); // one window

    const { result } = await importAndWait(h.app, h.temporal, acct.auth, csvOf(['phone', 'name'], rows));
    expect(result).toEqual({
      status: 'completed',
      totalRows: 2 * NUMBERS,
      processedRows: 2 * NUMBERS,
      created: NUMBERS,
      updated: 0,
      duplicates: NUMBERS,
      invalid: 0,
      optedOut: 0,
    });
    const names = await contactNames(acct.auth);
    expect(names).toEqual(new Map(Array.from({ length: NUMBERS }, (_, k) => [phoneFor(k), `First ${k}`])));
  });

  it('the first row wins even when the later chunk commits first', async () => {
    const acct = await signUp(h.app, 'Reversed');
    const em = h.deps.orm.em.fork();
    const importId = uuidv7();
    await em.execute(
      `insert into contact_imports (id, account_id, status, mapping, created_at, updated_at) values (?, ?, 'running', '{}', now(), now())`,
      [importId, acct.accountId],
    );
    const dataKey = await h.deps.keyring.keyFor(em, acct.accountId);
    const mapping = { phone: 'phone', name: 'name', defaultCountry: 'US' };
    const staged = (row: number, phone: string, name: string): StagedRow => ({
      row,
      phone,
      name,
      optInSource: null,
      optInIp: null,
      optInAt: null,
      attributes: {},
    });
    const chunks = [
      [staged(2, '+14155550101', 'First'), staged(3, '+14155550102', 'Only')],
      [staged(4, '(415) 555-0101', 'Second'), staged(5, '+14155550103', 'New')],
    ].map((rows, chunkNo) =>
      prepareChunk({
        payload: sealJson(dataKey, stagedChunkBinding(importId, chunkNo), rows),
        importId,
        chunkNo,
        dataKey,
        phoneHashKey: h.deps.keys.phoneHashKey,
        mapping,
      }),
    );
    const dedupe = new FileOrderDedupe();
    const [first, second] = chunks.map((c) => dedupe.admit(c));
    const target = (chunkNo: number) => ({ importId, accountId: acct.accountId, chunkNo, rowCount: 2, dataKey });

    // The order concurrent applies may well commit in: the later chunk first.
    const later = await applyChunk(h.deps.pgPool, target(1), second!);
    const earlier = await applyChunk(h.deps.pgPool, target(0), first!);
    expect(later).toEqual({ rows: 2, created: 1, updated: 0, duplicates: 1, invalid: 0, optedOut: 0 });
    expect(earlier).toEqual({ rows: 2, created: 2, updated: 0, duplicates: 0, invalid: 0, optedOut: 0 });
    const names = await contactNames(acct.auth);
    expect(names).toEqual(
      new Map([
        ['+14155550101', 'First'],
        ['+14155550102', 'Only'],
        ['+14155550103', 'New'],
      ]),
    );
  });
});
