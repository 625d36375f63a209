import { NativeConnection } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createImportWorker } from '../workers/create-import-worker';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(); // no worker yet: the test breaks the staging before any worker sees it
});
afterAll(() => h.close());

describe('an import that cannot finish', () => {
  it('fails visibly (status, reason, audit) instead of retrying forever when its staged rows are gone', async () => {
    const acct = await signUp(h.app, 'Broken staging');
    const upload = await uploadCsv(h.app, acct.auth, csvOf(['phone'], [['+14155550901'], ['+14155550902']]));
    expect(upload.status).toBe(202);
    await h.deps.pgPool.query(`update contact_import_chunks set payload = ''::bytea where import_id = $1`, [upload.body.id]);

    const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
    const worker = await createImportWorker({
      connection,
      namespace: h.config.TEMPORAL_NAMESPACE,
      deps: h.deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const failure = await worker.runUntil(
      h.temporal.workflow
        .getHandle(importWorkflowId(upload.body.id))
        .result()
        .catch((e: unknown) => e),
    );
    await connection.close();

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const view = await request(h.app).get(`/v1/contacts/imports/${upload.body.id}`).set(acct.auth);
    expect(view.body).toMatchObject({ status: 'failed', failure: expect.stringContaining('staged chunk 0') });
    const audit = await h.deps.orm.em
      .fork()
      .execute<{ action: string }[]>(`select action from audit_log where target_id = ? order by seq`, [upload.body.id]);
    expect(audit.map((a) => a.action)).toEqual(['contact_import.started', 'contact_import.failed']);
  });
});
