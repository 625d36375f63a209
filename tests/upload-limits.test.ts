import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importWorkflowId } from '../workflows/import-contacts';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { csvOf, phoneFor } from './support/csv';
import { startHarness, type Harness } from './support/harness';

const MAX_BYTES = 1024 * 1024;
const MAX_ROWS = 1000;

let h: Harness;
let acct: TestAccount;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  h = await startHarness({
    worker: true,
    env: {
      IMPORT_MAX_BYTES: String(MAX_BYTES),
      IMPORT_MAX_ROWS: String(MAX_ROWS),
      IMPORT_UPLOAD_CONCURRENCY: '1',
      IMPORT_UPLOAD_IDLE_SECONDS: '5',
      IMPORT_UPLOAD_TIMEOUT_SECONDS: '8',
    },
  });
  acct = await signUp(h.app, 'Uploader');
  server = h.app.listen(0);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

const postCsv = (headers: Record<string, string> = {}) =>
  request(h.app).post('/v1/contacts/imports').set(acct.auth).set('Content-Type', 'text/csv').set(headers);

/** Imports left behind for this account (an upload that failed must leave none, and no staged chunks). */
async function leftovers(): Promise<{ imports: number; chunks: number }> {
  const [row] = await h.deps.orm.em.fork().execute<{ imports: number; chunks: number }[]>(
    `select (select count(*)::int from contact_imports where account_id = ? and status = 'receiving') as imports,
            (select count(*)::int from contact_import_chunks c join contact_imports i on i.id = c.import_id
              where i.account_id = ? and i.status = 'receiving') as chunks`,
    [acct.accountId, acct.accountId],
  );
  return row!;
}

/** An upload held open by the test: bytes are written when the test says, the answer awaited separately. */
function openUpload(): { req: ClientRequest; answer: Promise<{ res: IncomingMessage; body: Record<string, unknown> }> } {
  const req = httpRequest(`${baseUrl}/v1/contacts/imports`, {
    method: 'POST',
    headers: { ...acct.auth, 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
  });
  const answer = new Promise<{ res: IncomingMessage; body: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ res, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
  });
  return { req, answer };
}

describe('CSV record bounds: the file is refused with 422 naming the row, never quoting it', () => {
  it('a record over 65,536 characters', async () => {
    const res = await postCsv().send(`phone,note\n${phoneFor(1)},ok\n${phoneFor(2)},${'z'.repeat(70_000)}\n`);
    expectProblem(res, 422, 'validation');
    expect(res.body.detail).toBe('row 3: the record exceeds 65536 characters');
    expect(res.body.errors).toEqual([{ field: 'file', reason: 'row 3: the record exceeds 65536 characters' }]);
  });

  it('a field over 8,192 characters', async () => {
    const res = await postCsv().send(`phone,note\n${phoneFor(1)},${'z'.repeat(9000)}\n`);
    expectProblem(res, 422, 'validation');
    expect(res.body.detail).toBe('row 2: a field exceeds 8192 characters');
  });

  it('more than 1,000 columns, in the header or a row', async () => {
    const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const header = await postCsv().send(`phone,${wide.join(',')}\n`);
    expectProblem(header, 422, 'validation');
    expect(header.body.detail).toBe('row 1: the record has more than 1000 columns');

    const row = await postCsv().send(`phone,note\n${phoneFor(1)},a\n${phoneFor(2)}${','.repeat(1000)}\n`);
    expectProblem(row, 422, 'validation');
    expect(row.body.detail).toBe('row 3: the record has more than 1000 columns');
  });

  it('a binary file is refused without echoing its bytes', async () => {
    const binary = gzipSync(csvOf(['phone'], [[phoneFor(1)]]));
    const res = await postCsv().send(binary);
    expectProblem(res, 422, 'validation');
    expect(res.body.detail).toBe('header: a column name contains a NUL character');
    // Bytes that are not UTF-8 text (and hold no NUL) reach the header check, which does not quote them either.
    const notText = Buffer.from([0x8f, 0xc3, 0x28, 0x2c, 0xff, 0x0a, 0x31, 0x0a]);
    const unreadable = await postCsv().send(notText);
    expectProblem(unreadable, 422, 'validation');
    expect(unreadable.body.detail).toBe(
      'columns.phone: no phone column found; name it with the phone_column parameter (header: not readable text)',
    );
    expect(await leftovers()).toEqual({ imports: 0, chunks: 0 });
  });
});

describe('CSV upload size', () => {
  it(`more than IMPORT_MAX_ROWS (${MAX_ROWS}) data rows is 413; exactly that many is accepted`, async () => {
    const rows = (n: number) =>
      csvOf(
        ['phone'],
        Array.from({ length: n }, (_, i) => [phoneFor(i)]),
      );
    const over = await postCsv().send(rows(MAX_ROWS + 1));
    expectProblem(over, 413, 'payload_too_large');
    expect(over.body.detail).toBe(`the file has more than ${MAX_ROWS} rows`);
    const exact = await postCsv().send(rows(MAX_ROWS));
    expect(exact.status).toBe(202);
    expect(exact.body.totalRows).toBe(MAX_ROWS);
    await h.temporal.workflow.getHandle(importWorkflowId(exact.body.id)).result();
  });
});

describe('Content-Encoding on the CSV import', () => {
  it('gzip is decoded and imported', async () => {
    const csv = csvOf(['phone', 'name'], [[phoneFor(5001), 'Zip']]);
    const res = await postCsv({ 'Content-Encoding': 'gzip' }).send(gzipSync(csv));
    expect(res.status).toBe(202);
    const result = await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
    expect(result).toMatchObject({ status: 'completed', totalRows: 1, created: 1 });
  });

  it('a gzip bomb is refused with 413 once the decoded bytes pass IMPORT_MAX_BYTES', async () => {
    const row = `${phoneFor(1)},${'x'.repeat(4000)}\n`;
    const decoded = `phone,note\n${row.repeat(Math.ceil((2 * MAX_BYTES) / row.length))}`;
    const compressed = gzipSync(decoded);
    expect(compressed.length).toBeLessThan(MAX_BYTES / 10);
    const res = await postCsv({ 'Content-Encoding': 'gzip' }).send(compressed);
    expectProblem(res, 413, 'payload_too_large');
    expect(res.body.detail).toBe(`the file is larger than ${MAX_BYTES} bytes`);
  });

  it('a body that is not gzip, or gzip cut short, is 400', async () => {
    for (const body of [Buffer.from(csvOf(['phone'], [[phoneFor(1)]])), gzipSync(csvOf(['phone'], [[phoneFor(1)]])).subarray(0, 12)]) {
      const res = await postCsv({ 'Content-Encoding': 'gzip' }).send(body);
      expectProblem(res, 400, 'malformed_body');
      expect(res.body.detail).toBe('the body is not valid for its Content-Encoding (gzip)');
    }
    expect(await leftovers()).toEqual({ imports: 0, chunks: 0 });
  });

  it('other encodings are 415', async () => {
    for (const encoding of ['br', 'deflate', 'compress']) {
      const res = await postCsv({ 'Content-Encoding': encoding }).send('phone\n');
      expectProblem(res, 415, 'unsupported_media_type');
    }
  });

  it('a truncated multipart body is 400 without busboy text', async () => {
    const res = await request(h.app)
      .post('/v1/contacts/imports')
      .set(acct.auth)
      .set('Content-Type', 'multipart/form-data; boundary=XyZ')
      .send(
        `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\nphone\n${phoneFor(1)}\n`,
      );
    expectProblem(res, 400, 'malformed_body');
    expect(res.body.detail).toBe('the multipart body is malformed');
    expect(await leftovers()).toEqual({ imports: 0, chunks: 0 });
  });
});

describe('uploads hold their own slots, time out, and leave nothing when they fail', () => {
  it('a second upload while the only slot is busy is 503 with Retry-After, and the slot comes back', async () => {
    const first = openUpload();
    first.req.write('phone\n');
    await vi.waitFor(async () => expect((await leftovers()).imports).toBe(1), { timeout: 10_000 });

    const busy = await postCsv().send(csvOf(['phone'], [[phoneFor(7001)]]));
    expectProblem(busy, 503, 'unavailable');
    expect(busy.headers['retry-after']).toBe('10');
    // Other requests are not held up by the upload.
    expect((await request(h.app).get('/v1/contacts').set(acct.auth)).status).toBe(200);

    first.req.end(`${phoneFor(7002)}\n`);
    const { res, body } = await first.answer;
    expect(res.statusCode).toBe(202);
    expect(body.totalRows).toBe(1);
    await h.temporal.workflow.getHandle(importWorkflowId(body.id as string)).result();

    const after = await postCsv().send(csvOf(['phone'], [[phoneFor(7003)]]));
    expect(after.status).toBe(202);
    await h.temporal.workflow.getHandle(importWorkflowId(after.body.id)).result();
  });

  it('a sender that stalls gets 408 after IMPORT_UPLOAD_IDLE_SECONDS, the connection closes, and nothing stays staged', async () => {
    const stalled = openUpload();
    stalled.req.write(`phone\n${phoneFor(8001)}\n`);
    const { res, body } = await stalled.answer;
    expect(res.statusCode).toBe(408);
    expect(body).toMatchObject({
      type: 'https://massivesms.dev/problems/request_timeout',
      detail: 'the upload sent nothing for 5 seconds',
    });
    expect(res.headers.connection).toBe('close');
    stalled.req.destroy();
    expect(await leftovers()).toEqual({ imports: 0, chunks: 0 });
  });

  it('an error on a request without a body keeps the connection open (only unread bodies close it)', async () => {
    const res = await fetch(`${baseUrl}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('connection')).toBe('keep-alive');
  });

  it('a sender that trickles (never idle for long) gets 408 after IMPORT_UPLOAD_TIMEOUT_SECONDS', async () => {
    const trickle = openUpload();
    trickle.req.write('phone\n');
    let n = 0;
    const sender = setInterval(() => trickle.req.write(`${phoneFor(8100 + n++)}\n`), 1000);
    try {
      const { res, body } = await trickle.answer;
      expect(res.statusCode).toBe(408);
      expect(body).toMatchObject({
        type: 'https://massivesms.dev/problems/request_timeout',
        detail: 'the upload took longer than 8 seconds',
      });
    } finally {
      clearInterval(sender);
      trickle.req.destroy();
    }
    expect(await leftovers()).toEqual({ imports: 0, chunks: 0 });
  });

  it('an upload the client aborts leaves no import and frees its slot', async () => {
    const aborted = openUpload();
    aborted.answer.catch(() => undefined);
    aborted.req.write('phone\n');
    await vi.waitFor(async () => expect((await leftovers()).imports).toBe(1), { timeout: 10_000 });
    aborted.req.destroy();
    await vi.waitFor(async () => expect(await leftovers()).toEqual({ imports: 0, chunks: 0 }), { timeout: 10_000 });
    const next = await postCsv().send(csvOf(['phone'], [[phoneFor(9001)]]));
    expect(next.status).toBe(202);
    await h.temporal.workflow.getHandle(importWorkflowId(next.body.id)).result();
  });
});
