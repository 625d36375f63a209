import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { csvOf, phoneFor } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';
import { importWorkflowId } from '../workflows/import-contacts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: true });
});
afterAll(() => h.close());

const importsOf = async (account: TestAccount) =>
  h.deps.orm.em.fork().execute<{ id: string; status: string; chunks: number }[]>(
    `select i.id, i.status, (select count(*)::int from contact_import_chunks c where c.import_id = i.id) as chunks
       from contact_imports i where i.account_id = ? order by i.id`,
    [account.accountId],
  );

describe('Idempotency-Key on a streamed CSV upload', () => {
  it('is decided on the body bytes: same length but other bytes is refused, the same bytes replay', async () => {
    const account = await signUp(h.app, 'Uploader');
    const first = csvOf(['phone', 'name'], [[phoneFor(1), 'Ann']]);
    const sameLength = csvOf(['phone', 'name'], [[phoneFor(2), 'Bob']]);
    expect(sameLength.length).toBe(first.length);
    const keyed = { ...account.auth, 'Idempotency-Key': 'upload-1' };

    const accepted = await uploadCsv(h.app, keyed, first);
    expect(accepted.status).toBe(202);
    expect(accepted.headers['idempotent-replayed']).toBeUndefined();

    expectProblem(await uploadCsv(h.app, keyed, sameLength), 422, 'idempotency_key_reused');
    expectProblem(await uploadCsv(h.app, keyed, first, { name_column: 'name' }), 422, 'idempotency_key_reused');

    const replay = await uploadCsv(h.app, keyed, first);
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBe(`/v1/contacts/imports/${accepted.body.id}`);
    expect(replay.body.id).toBe(accepted.body.id);

    // What the refused and replayed uploads staged was discarded: one import, with its one chunk.
    await h.temporal.workflow.getHandle(importWorkflowId(accepted.body.id)).result();
    expect(await importsOf(account)).toEqual([{ id: accepted.body.id, status: 'completed', chunks: 1 }]);
  });

  it('two concurrent uploads of one file under one key start one import', async () => {
    const account = await signUp(h.app, 'Double clicker');
    const keyed = { ...account.auth, 'Idempotency-Key': 'twice-1' };
    const csv = csvOf(['phone'], [[phoneFor(6)], [phoneFor(7)]]);
    const answers = await Promise.all([uploadCsv(h.app, keyed, csv), uploadCsv(h.app, keyed, csv)]);
    const original = answers.filter((r) => r.status === 202 && r.headers['idempotent-replayed'] === undefined);
    expect(original).toHaveLength(1);
    const other = answers.find((r) => r !== original[0])!;
    if (other.status === 409) expectProblem(other, 409, 'conflict');
    else expect(other.body.id).toBe(original[0]!.body.id);
    expect((await importsOf(account)).map((i) => i.id)).toEqual([original[0]!.body.id]);
  });

  it('a multipart upload is fingerprinted by its file bytes', async () => {
    const account = await signUp(h.app, 'Multipart uploader');
    const send = (csv: string) =>
      request(h.app)
        .post('/v1/contacts/imports')
        .set(account.auth)
        .set('Idempotency-Key', 'multi-1')
        .attach('file', Buffer.from(csv), { filename: 'contacts.csv', contentType: 'text/csv' });
    const first = await send(csvOf(['phone'], [[phoneFor(3)]]));
    expect(first.status).toBe(202);
    expectProblem(await send(csvOf(['phone'], [[phoneFor(4)]])), 422, 'idempotency_key_reused');
    const replay = await send(csvOf(['phone'], [[phoneFor(3)]]));
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.body.id);
    expect((await importsOf(account)).map((i) => i.id)).toEqual([first.body.id]);
  });
});

describe('An import that cannot be started', () => {
  it("answers a stable reason, never Temporal's error text, and releases the key", async () => {
    const account = await signUp(h.app, 'Unlucky uploader');
    const connection = await Connection.connect({ address: h.config.TEMPORAL_ADDRESS });
    await connection.close();
    const app = createApp({ ...h.deps, temporal: new Client({ connection, namespace: h.config.TEMPORAL_NAMESPACE }) });
    const csv = csvOf(['phone'], [[phoneFor(5)]]);
    const keyed = { ...account.auth, 'Idempotency-Key': 'unlucky-1' };

    const res = await uploadCsv(app, keyed, csv);
    expectProblem(res, 503, 'unavailable');
    expect(res.body.detail).toBe('the import could not be started; try again later');
    expect(await importsOf(account)).toEqual([expect.objectContaining({ status: 'failed' })]);

    const retry = await uploadCsv(h.app, keyed, csv);
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });
});
