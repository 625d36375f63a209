import { WorkflowFailedError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ServiceDeps } from '../services/deps';
import { DataKeyDestroyedError, DataKeyring } from '../services/keyring';
import { createImportWorker } from '../workers/create-import-worker';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

let h: Harness;
/** A second process: its own ORM, pools and keyring on the same database. */
let other: ServiceDeps;

beforeAll(async () => {
  h = await startHarness(); // no worker: the import test destroys the key before any worker sees the import
  other = await createServiceDeps(loadConfig(testEnvironment()), 'test-other-process');
});
afterAll(async () => {
  await closeServiceDeps(other);
  await h.close();
});

describe('data keyring', () => {
  it("destroying an account's key through one process makes every use fail at once in another that has it cached", async () => {
    const acct = await signUp(h.app, 'Shredded');
    const created = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550950', name: 'Soon Gone' });
    expect(created.status).toBe(201);

    const key = await other.keyring.keyFor(other.orm.em.fork(), acct.accountId);
    expect(key.accountId).toBe(acct.accountId);
    expect(other.keyring.cachedCount).toBeGreaterThan(0);

    await h.deps.keyring.destroy(h.deps.orm.em.fork(), acct.accountId);

    await expect(other.keyring.keyFor(other.orm.em.fork(), acct.accountId)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    const { rows } = await h.deps.pgPool.query(
      'select wrapped_key, destroyed_at, generation from account_data_keys where account_id = $1',
      [acct.accountId],
    );
    expect(rows[0].wrapped_key).toBeNull();
    expect(rows[0].destroyed_at).toBeInstanceOf(Date);
    expect(rows[0].generation).toBe(2);

    const res = await request(h.app).get(`/v1/contacts/${created.body.id}`).set(acct.auth);
    expect(res.status).toBe(410);
    expect(res.body).toEqual({
      type: 'https://massivesms.dev/problems/data_key_destroyed',
      title: 'Account data erased',
      status: 410,
      detail: "the account's data key has been destroyed: its stored personal data can no longer be read",
      instance: `/v1/contacts/${created.body.id}`,
    });
    expect(JSON.stringify(res.body)).not.toContain('+14155550950');
  });

  it('holds at most maxEntries unwrapped keys, and none longer than the TTL', async () => {
    const accounts = await Promise.all([signUp(h.app, 'Cache 1'), signUp(h.app, 'Cache 2'), signUp(h.app, 'Cache 3')]);
    let now = 1_000_000;
    const keyring = new DataKeyring(h.deps.keys.master, { ttlMs: 60_000, maxEntries: 2, clock: () => now });
    const em = h.deps.orm.em.fork();
    for (const a of accounts) await keyring.keyFor(em, a.accountId);
    expect(keyring.cachedCount).toBe(2);

    now += 60_001; // both cached keys have expired; using the keyring for anything drops them
    await keyring.keyFor(em, accounts[0].accountId);
    expect(keyring.cachedCount).toBe(1);
  });

  it('an import whose account key is destroyed fails at once instead of retrying', async () => {
    const acct = await signUp(h.app, 'Shredded mid-import');
    const upload = await uploadCsv(h.app, acct.auth, csvOf(['phone'], [['+14155550960'], ['+14155550961']]));
    expect(upload.status).toBe(202);
    await h.deps.keyring.destroy(h.deps.orm.em.fork(), acct.accountId);

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
    expect(view.body).toMatchObject({
      status: 'failed',
      failure: "the account's data key has been destroyed",
    });
    const { rows } = await h.deps.pgPool.query('select count(*)::int as n from contacts where account_id = $1', [acct.accountId]);
    expect(rows[0].n).toBe(0);
  });
});
