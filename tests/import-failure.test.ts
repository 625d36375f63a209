import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../lib/logger';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ServiceDeps } from '../services/deps';
import { createImportWorker } from '../workers/create-import-worker';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp, type TestAccount } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(); // no worker yet: each test breaks the import before any worker sees it
});
afterAll(() => h.close());

async function upload(acct: TestAccount): Promise<string> {
  const res = await uploadCsv(
    h.app,
    acct.auth,
    csvOf(
      ['phone', 'name'],
      [
        ['+14155550901', 'Ann'],
        ['+14155550902', 'Bob'],
      ],
    ),
  );
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/**
 * Runs an import worker until the import's workflow ends, on its own service deps (a fresh key
 * cache) whose log lines are kept, and returns how the workflow ended.
 */
async function runWorkerUntilEnded(importId: string, logLines: string[] = []): Promise<unknown> {
  const deps: ServiceDeps = await createServiceDeps(h.config, 'test-worker');
  deps.logger = createLogger('info', 'test-worker', { write: (line: string) => void logLines.push(line) });
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  try {
    const worker = await createImportWorker({
      connection,
      namespace: h.config.TEMPORAL_NAMESPACE,
      deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    return await worker.runUntil(
      h.temporal.workflow
        .getHandle(importWorkflowId(importId))
        .result()
        .catch((e: unknown) => e),
    );
  } finally {
    await connection.close();
    await closeServiceDeps(deps);
  }
}

async function expectFailedWith(acct: TestAccount, importId: string, failure: string): Promise<void> {
  const view = await request(h.app).get(`/v1/contacts/imports/${importId}`).set(acct.auth);
  expect(view.body).toMatchObject({ status: 'failed', failure });
  const audit = await h.deps.orm.em
    .fork()
    .execute<{ action: string }[]>(`select action from audit_log where target_id = ? order by seq`, [importId]);
  expect(audit.map((a) => a.action)).toEqual(['contact_import.started', 'contact_import.failed']);
}

describe('an import that cannot finish', () => {
  it('fails visibly (status, reason, audit) instead of retrying forever when its staged rows are gone', async () => {
    const acct = await signUp(h.app, 'Broken staging');
    const id = await upload(acct);
    await h.deps.pgPool.query(`update contact_import_chunks set payload = ''::bytea where import_id = $1`, [id]);

    const failure = await runWorkerUntilEnded(id);

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    await expectFailedWith(acct, id, 'staged chunk 0 is missing: the uploaded rows are gone; upload the file again');
  });

  it('fails at once with a stable reason when a staged chunk cannot be decrypted; the log names only types', async () => {
    const acct = await signUp(h.app, 'Garbled staging');
    const id = await upload(acct);
    await h.deps.pgPool.query(`update contact_import_chunks set payload = $2 where import_id = $1`, [id, randomBytes(64)]);

    const logLines: string[] = [];
    const failure = await runWorkerUntilEnded(id, logLines);

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    await expectFailedWith(acct, id, 'staged chunk 0 could not be read; upload the file again');
    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'import activity failed');
    expect(logged).toEqual([
      expect.objectContaining({
        activity: 'processImportChunks',
        attempt: 1,
        errorType: 'ChunkPreparationError',
        causeType: 'SealedFieldError',
        failureType: 'StagedChunkUnreadable',
      }),
    ]);
  });

  it("fails at once with a stable reason when the account's data key has been destroyed", async () => {
    const acct = await signUp(h.app, 'Shredded');
    const id = await upload(acct);
    await h.deps.pgPool.query(`update account_data_keys set wrapped_key = null, destroyed_at = now() where account_id = $1`, [
      acct.accountId,
    ]);

    const failure = await runWorkerUntilEnded(id);

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    await expectFailedWith(acct, id, "the account's data key has been destroyed");
  });
});
