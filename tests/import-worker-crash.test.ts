import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp } from './support/accounts';
import { csvOf, phoneFor } from './support/csv';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

const ROWS = 60_000;
const CHUNK_ROWS = 500;

let h: Harness;
const workers: ChildProcess[] = [];

/** A real worker process (the one `npm run dev` starts), so it can be killed like a crashed host. */
function spawnWorker(): ChildProcess {
  // node itself with tsx's loader (not the tsx wrapper): the pid we kill is the worker's own.
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'workers', 'worker.ts')], {
    env: { ...process.env, ...testEnvironment() },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

async function processedRows(importId: string): Promise<number> {
  const rows = await h.deps.orm.em
    .fork()
    .execute<{ processed_rows: number }[]>('select processed_rows from contact_imports where id = ?', [importId]);
  return rows[0]!.processed_rows;
}

beforeAll(async () => {
  h = await startHarness({ importChunkRows: CHUNK_ROWS });
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await h.close();
});

describe('worker killed mid-import', () => {
  it('resumes on another worker and reaches the same final state with no duplicates', { timeout: 240_000 }, async () => {
    const acct = await signUp(h.app, 'Crashy');
    // Every 10th row repeats an earlier number, every 50th is invalid: the counts must survive the crash exactly.
    const rows = Array.from({ length: ROWS }, (_, i) => {
      if (i % 50 === 49) return ['12', `Bad ${i}`];
      if (i % 10 === 9) return [phoneFor(i - 9), `Again ${i}`];
      return [phoneFor(i), `Person ${i}`];
    });
    const invalid = rows.filter((r) => r[0] === '12').length;
    const repeats = rows.filter((r) => r[1]!.startsWith('Again')).length;
    const distinct = ROWS - invalid - repeats;

    const upload = await uploadCsv(h.app, acct.auth, csvOf(['phone', 'name'], rows));
    expect(upload.status).toBe(202);
    const importId: string = upload.body.id;

    const first = spawnWorker();
    let atKill = 0;
    while (atKill === 0) atKill = await processedRows(importId);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    atKill = await processedRows(importId);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(ROWS);

    spawnWorker();
    const result = await h.temporal.workflow.getHandle(importWorkflowId(importId)).result();
    expect(result).toEqual({
      status: 'completed',
      totalRows: ROWS,
      processedRows: ROWS,
      created: distinct,
      updated: 0,
      duplicates: repeats,
      invalid,
      optedOut: 0,
    });

    const em = h.deps.orm.em.fork();
    const [contacts] = await em.execute<{ n: number }[]>('select count(*)::int as n from contacts where account_id = ?', [acct.accountId]);
    expect(contacts!.n).toBe(distinct);
    const [chunks] = await em.execute<{ n: number }[]>('select count(*)::int as n from contact_import_chunk_results where import_id = ?', [
      importId,
    ]);
    expect(chunks!.n).toBe(ROWS / CHUNK_ROWS);
    const [errors] = await em.execute<{ n: number }[]>('select count(*)::int as n from contact_import_errors where import_id = ?', [
      importId,
    ]);
    expect(errors!.n).toBe(invalid);
  });
});
