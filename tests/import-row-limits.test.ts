import { Client as PgClient } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectProblem, signUp } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { importAndWait, uploadCsv } from './support/imports';

let h: Harness;

// Three rows per chunk, so bad rows fall in several chunks, next to good ones.
beforeAll(async () => {
  h = await startHarness({ worker: true, importChunkRows: 3 });
});
afterAll(() => h.close());

const ATTRIBUTE_COLUMNS = Array.from({ length: 101 }, (_, i) => `a${i + 1}`);
const HEADER = ['phone', 'name', 'opt_in_source', 'opt_in_ip', 'opt_in_at', ...ATTRIBUTE_COLUMNS];

/** One CSV row: the named fields, then the attribute cells (empty cells are no attribute). */
function row(phone: string, fields: { name?: string; source?: string; ip?: string; at?: string; attrs?: string[] } = {}): string[] {
  const attrs = ATTRIBUTE_COLUMNS.map((_, i) => fields.attrs?.[i] ?? '');
  return [phone, fields.name ?? '', fields.source ?? '', fields.ip ?? '', fields.at ?? '', ...attrs];
}

async function errorsOf(auth: Record<string, string>, id: string) {
  const res = await request(h.app).get(`/v1/contacts/imports/${id}/errors`).set(auth);
  expect(res.status).toBe(200);
  return res.body.data as { row: number; column: string | null; reason: string }[];
}

describe('import rows out of range', () => {
  it('completes with exact counts and names each out-of-range field as its row error', async () => {
    const acct = await signUp(h.app, 'Out of range');
    const file = csvOf(HEADER, [
      row('+14155550101', { name: 'Good One', at: '2024-05-01T12:00:00+02:00', ip: '192.0.2.1', source: 'web' }), // 2
      row('+14155550102', { at: '-010000-01-01T00:00:00Z' }), // 3: Postgres would refuse this year
      row('+14155550103', { name: 'n'.repeat(201) }), // 4
      row('+14155550104', { attrs: ATTRIBUTE_COLUMNS.map((c) => c) }), // 5: 101 attributes
      row('+14155550105', { attrs: ['v'.repeat(1001)] }), // 6
      row('+14155550106', { ip: '999.1.1.1' }), // 7
      row('+14155550107', { at: '2024-02-30' }), // 8
      row('+14155550108', { source: 's'.repeat(201) }), // 9
      row('+14155550109', { at: '1899-12-31T23:59:59Z' }), // 10
      row('+14155550110', { attrs: ATTRIBUTE_COLUMNS.slice(0, 100).map((c) => c), at: '9999-12-31' }), // 11: at the limits
    ]);
    const { id, result } = await importAndWait(h.app, h.temporal, acct.auth, file);
    expect(result).toEqual({
      status: 'completed',
      totalRows: 10,
      processedRows: 10,
      created: 2,
      updated: 0,
      duplicates: 0,
      invalid: 8,
      optedOut: 0,
    });
    expect(await errorsOf(acct.auth, id)).toEqual([
      { row: 3, column: 'opt_in_at', reason: 'year must be between 1900 and 9999 (no expanded or negative years)' },
      { row: 4, column: 'name', reason: 'longer than 200 characters' },
      { row: 5, column: null, reason: 'more than 100 attributes' },
      { row: 6, column: 'a1', reason: 'longer than 1000 characters' },
      { row: 7, column: 'opt_in_ip', reason: 'not an IP address' },
      { row: 8, column: 'opt_in_at', reason: 'not a valid calendar date/time' },
      { row: 9, column: 'opt_in_source', reason: 'longer than 200 characters' },
      { row: 10, column: 'opt_in_at', reason: 'year must be between 1900 and 9999' },
    ]);
    const contacts = await request(h.app).get('/v1/contacts').set(acct.auth);
    const byPhone = new Map(contacts.body.data.map((c: { phone: string }) => [c.phone, c]));
    expect([...byPhone.keys()].sort()).toEqual(['+14155550101', '+14155550110']);
    expect(byPhone.get('+14155550101')).toMatchObject({
      name: 'Good One',
      optIn: { source: 'web', ip: '192.0.2.1', at: '2024-05-01T10:00:00.000Z' },
    });
    expect(byPhone.get('+14155550110')).toMatchObject({ optIn: { at: '9999-12-31T00:00:00.000Z' } });
  });

  it('a merge that would pass 100 attributes is that row’s error and leaves the contact as it was', async () => {
    const acct = await signUp(h.app, 'Merge limits');
    const existing = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`old${i}`, 'x']));
    const created = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550201', attributes: existing });
    expect(created.status).toBe(201);
    const fileAttrs = ATTRIBUTE_COLUMNS.slice(0, 50).map((c) => c);
    const { id, result } = await importAndWait(
      h.app,
      h.temporal,
      acct.auth,
      csvOf(HEADER, [row('+14155550201', { attrs: fileAttrs }), row('+14155550202', { attrs: fileAttrs })]),
    );
    expect(result).toMatchObject({ status: 'completed', created: 1, updated: 0, duplicates: 0, invalid: 1 });
    expect(await errorsOf(acct.auth, id)).toEqual([
      { row: 2, column: null, reason: "with the contact's existing attributes: more than 100 attributes" },
    ]);
    const kept = await request(h.app).get(`/v1/contacts/${created.body.id}`).set(acct.auth);
    expect(kept.body.attributes).toEqual(existing);
  });

  it('a row PostgreSQL refuses after validation becomes that row’s error; the rest of its chunk lands exactly once', async () => {
    const acct = await signUp(h.app, 'Refused rows');
    const before = await request(h.app)
      .post('/v1/contacts')
      .set(acct.auth)
      .send({ phone: '+14155550305', name: 'Before', optIn: { source: 'form' } });
    expect(before.status).toBe(201);
    const owner = new PgClient({ connectionString: inject('ownerDatabaseUrl') });
    await owner.connect();
    await owner.query(`alter table contacts add constraint contacts_reject_me_test check (opt_in_source is distinct from 'reject-me')`);
    let outcome;
    try {
      outcome = await importAndWait(
        h.app,
        h.temporal,
        acct.auth,
        csvOf(
          ['phone', 'name', 'opt_in_source'],
          [
            ['+14155550301', 'A', 'web'], // 2: created
            ['+14155550302', 'B', 'reject-me'], // 3: refused on insert
            ['+14155550303', 'C', 'web'], // 4: created, same chunk as the refused row
            ['+14155550305', 'D', 'reject-me'], // 5: refused on update; the contact stays as it was
            ['+14155550301', 'A2', 'web'], // 6: duplicate of row 2
            ['+14155550304', 'E', 'web'], // 7: created
          ],
        ),
      );
    } finally {
      await owner.query('alter table contacts drop constraint if exists contacts_reject_me_test');
      await owner.end();
    }
    const { id, result } = outcome;
    expect(result).toEqual({
      status: 'completed',
      totalRows: 6,
      processedRows: 6,
      created: 3,
      updated: 0,
      duplicates: 1,
      invalid: 2,
      optedOut: 0,
    });
    expect(await errorsOf(acct.auth, id)).toEqual([
      { row: 3, column: null, reason: 'the database refused this row (a constraint)' },
      { row: 5, column: null, reason: 'the database refused this row (a constraint)' },
    ]);
    const contacts = await request(h.app).get('/v1/contacts').set(acct.auth);
    expect(contacts.body.data.map((c: { phone: string; name: string }) => [c.phone, c.name]).sort()).toEqual([
      ['+14155550301', 'A'],
      ['+14155550303', 'C'],
      ['+14155550304', 'E'],
      ['+14155550305', 'Before'],
    ]);
    const em = h.deps.orm.em.fork();
    const claims = await em.execute<{ chunk_no: number; created: number; invalid: number }[]>(
      'select chunk_no, created, invalid from contact_import_chunk_results where import_id = ? order by chunk_no',
      [id],
    );
    expect(claims).toEqual([
      { chunk_no: 0, created: 2, invalid: 1 },
      { chunk_no: 1, created: 1, invalid: 1 },
    ]);
  });
});

describe('contact API limits', () => {
  it('refuses out-of-range opt-in times, NUL characters (also in a CSV header) and oversize attributes with 422, never 500', async () => {
    const acct = await signUp(h.app, 'API limits');
    const post = (body: object) => request(h.app).post('/v1/contacts').set(acct.auth).send(body);
    expectProblem(await post({ phone: '+14155550401', optIn: { source: 'web', at: '0001-01-01T00:00:00Z' } }), 422, 'validation');
    expectProblem(await post({ phone: '+14155550401', optIn: { source: 'web', at: '-010000-01-01T00:00:00Z' } }), 422, 'validation');
    expectProblem(await post({ phone: '+14155550401', optIn: { source: 'web\u0000' } }), 422, 'validation');
    expectProblem(await post({ phone: '+14155550401', name: 'a\u0000b' }), 422, 'validation');
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    expectProblem(await post({ phone: '+14155550401', attributes: big }), 422, 'validation');
    expectProblem(await uploadCsv(h.app, acct.auth, 'phone,ci\u0000ty\n+14155550401,SF\n'), 422, 'validation');
    const ok = await post({ phone: '+14155550401', optIn: { source: 'web', at: '2024-05-01T12:00:00Z' } });
    expect(ok.status).toBe(201);
  });
});
