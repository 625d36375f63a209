import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProgressQuery, importWorkflowId } from '../workflows/import-contacts';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { importAndWait, uploadCsv } from './support/imports';

let h: Harness;
let acct: TestAccount;

// Three rows per chunk, so duplicates and errors fall on both sides of chunk boundaries.
beforeAll(async () => {
  h = await startHarness({ worker: true, importChunkRows: 3 });
  acct = await signUp(h.app, 'Importer');
});
afterAll(() => h.close());

const FILE = csvOf(
  ['phone', 'name', 'city', 'opt_in_source'],
  [
    ['+14155550001', 'Ann', 'SF', 'web'], // row 2: created
    ['415-555-0002', 'Bob', 'LA', 'web'], // row 3: created
    ['+14155550003', 'Cat', 'NY', 'web'], // row 4: created, but opted out beforehand
    ['not-a-phone', 'Dan', 'SF', 'web'], // row 5: invalid
    ['+1415555000', 'Eve', 'SF', 'web'], // row 6: invalid (too short)
    ['+14155550001', 'Ann again', 'SF', 'web'], // row 7: duplicate of row 2 (other chunk)
    ['+14155550004', 'Fay', 'SF'], // row 8: wrong column count
    ['(415) 555-0002', 'Bob two', 'LA', 'web'], // row 9: duplicate of row 3 (other chunk)
  ],
);

describe('contact CSV import', () => {
  it('imports good rows, reports bad ones, dedupes and keeps opt-outs, with exact counts', async () => {
    const optOut = await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155550003' });
    expect(optOut.status).toBe(201);

    const { id, result } = await importAndWait(h.app, h.temporal, acct.auth, FILE);
    expect(result).toEqual({
      status: 'completed',
      totalRows: 8,
      processedRows: 8,
      created: 3,
      updated: 0,
      duplicates: 2,
      invalid: 3,
      optedOut: 1,
    });

    const view = await request(h.app).get(`/v1/contacts/imports/${id}`).set(acct.auth);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      status: 'completed',
      created: 3,
      duplicates: 2,
      invalid: 3,
      optedOut: 1,
      workflowId: `import:${id}`,
    });

    const errors = await request(h.app).get(`/v1/contacts/imports/${id}/errors`).set(acct.auth);
    expect(view.body.errors).toEqual(errors.body.data);
    expect(errors.body.data).toEqual([
      { row: 5, column: 'phone', reason: 'not a phone number' },
      { row: 6, column: 'phone', reason: expect.stringContaining('not a valid number') },
      { row: 8, column: null, reason: 'expected 4 columns, found 3' },
    ]);

    const contacts = await request(h.app).get('/v1/contacts').set(acct.auth);
    const byPhone = new Map(contacts.body.data.map((c: { phone: string }) => [c.phone, c]));
    expect([...byPhone.keys()].sort()).toEqual(['+14155550001', '+14155550002', '+14155550003']);
    expect(byPhone.get('+14155550001')).toMatchObject({ name: 'Ann', attributes: { city: 'SF' }, optIn: { source: 'web' } });
    expect(byPhone.get('+14155550003')).toMatchObject({ optedOut: true });

    const staged = await h.deps.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*)::int as n from contact_import_chunks where import_id = ? and length(payload) > 0', [id]);
    expect(staged).toEqual([{ n: 0 }]); // the staged PII is gone once the import has ended

    const listed = await request(h.app).get('/v1/contacts/imports').set(acct.auth);
    expect(listed.body.data[0]).toMatchObject({ id, status: 'completed', created: 3 });

    const progress = await h.temporal.workflow.getHandle(importWorkflowId(id)).query(importProgressQuery);
    expect(progress).toMatchObject({ status: 'completed', processedRows: 8 });
  });

  it('re-uploading updates the same contacts and the opted-out number stays opted out', async () => {
    const { result } = await importAndWait(h.app, h.temporal, acct.auth, FILE);
    expect(result).toMatchObject({ created: 0, updated: 3, duplicates: 2, invalid: 3, optedOut: 1 });
    const optOuts = await request(h.app).get('/v1/opt-outs').set(acct.auth);
    expect(optOuts.body.data.map((o: { phone: string }) => o.phone)).toEqual(['+14155550003']);
  });

  it('merges into existing contacts: columns the file lacks keep their values', async () => {
    const other = await signUp(h.app, 'Merger');
    await request(h.app)
      .post('/v1/contacts')
      .set(other.auth)
      .send({ phone: '+14155550500', name: 'Kept Name', attributes: { tier: 'gold', city: 'Oakland' } });
    const { result } = await importAndWait(h.app, h.temporal, other.auth, csvOf(['phone', 'city'], [['+14155550500', 'Berkeley']]));
    expect(result).toMatchObject({ created: 0, updated: 1 });
    const contacts = await request(h.app).get('/v1/contacts').set(other.auth);
    expect(contacts.body.data).toEqual([
      expect.objectContaining({ phone: '+14155550500', name: 'Kept Name', attributes: { tier: 'gold', city: 'Berkeley' } }),
    ]);
  });

  it('is listed in Temporal visibility under its search attributes', async () => {
    const { id } = await importAndWait(h.app, h.temporal, acct.auth, csvOf(['phone'], [['+14155550009']]));
    const query = `ProcessKind = 'import' AND AccountId = '${acct.accountId}'`;
    let ids: string[] = [];
    for (let attempt = 0; attempt < 100 && !ids.includes(`import:${id}`); attempt++) {
      ids = [];
      for await (const wf of h.temporal.workflow.list({ query })) ids.push(wf.workflowId);
    }
    expect(ids).toContain(`import:${id}`);
  });

  it('maps columns named in the query and reads national numbers in the default country', async () => {
    const other = await signUp(h.app, 'Mapper');
    const csv = csvOf(['Mobile', 'Full Name', 'Consent'], [['020 7946 0018', 'Liz', 'paper form']]);
    const res = await uploadCsv(h.app, other.auth, csv, {
      phone_column: 'Mobile',
      name_column: 'Full Name',
      opt_in_source_column: 'Consent',
      default_country: 'GB',
    });
    expect(res.status).toBe(202);
    await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
    const contacts = await request(h.app).get('/v1/contacts').set(other.auth);
    expect(contacts.body.data).toEqual([
      expect.objectContaining({ phone: '+442079460018', name: 'Liz', optIn: expect.objectContaining({ source: 'paper form' }) }),
    ]);
  });

  it('rejects unusable uploads with problem+json', async () => {
    expectProblem(await uploadCsv(h.app, acct.auth, 'name,city\nAnn,SF\n'), 422, 'validation');
    expectProblem(await uploadCsv(h.app, acct.auth, ''), 422, 'validation');
    expectProblem(await uploadCsv(h.app, acct.auth, FILE, { phone_column: 'nope' }), 422, 'validation');
    expectProblem(await uploadCsv(h.app, acct.auth, FILE, { surprise: 'x' }), 422, 'validation');
    expectProblem(await uploadCsv(h.app, acct.auth, FILE, { default_country: 'usa' }), 422, 'validation');
    const json = await request(h.app).post('/v1/contacts/imports').set(acct.auth).send({ phone: '+14155550001' });
    expectProblem(json, 415, 'unsupported_media_type');
  });

  it('accepts the file as multipart/form-data', async () => {
    const other = await signUp(h.app, 'Multipart');
    const res = await request(h.app)
      .post('/v1/contacts/imports')
      .set(other.auth)
      .attach('file', Buffer.from(csvOf(['phone'], [['+14155550042']])), { filename: 'contacts.csv', contentType: 'text/csv' });
    expect(res.status).toBe(202);
    const result = await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
    expect(result).toMatchObject({ status: 'completed', created: 1 });
  });
});
