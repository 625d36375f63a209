import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process';
import { generatedBody, streamUpload } from './support/stream-upload';

const MiB = 1024 * 1024;
const FILE_BYTES = 200 * MiB;
const RSS_LIMIT = 300 * 1000 * 1000;
const MAX_ROWS = 250_000;

let api: ApiProcess;
let auth: Record<string, string>;

async function signUp(): Promise<Record<string, string>> {
  const res = await fetch(`${api.baseUrl}/v1/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accountName: 'Big files', email: `big-${process.pid}@example.com`, password: 'correct horse battery staple' }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { apiKey: { key: string } };
  return { Authorization: `Bearer ${body.apiKey.key}` };
}

/** Streams a generated CSV (200 MiB unless said) into the child API; returns its answer and the child's peak RSS meanwhile. */
async function upload(head: string, unit: string, total = FILE_BYTES, tail = '') {
  api.resetPeak();
  const answer = await streamUpload(
    `${api.baseUrl}/v1/contacts/imports`,
    { ...auth, 'Content-Type': 'text/csv' },
    generatedBody(head, unit, total, tail),
    total + tail.length,
  );
  return { answer, peak: api.peakRss() };
}

// The real API process (not the in-process app) as production runs it, so its own RSS is what is measured.
beforeAll(async () => {
  api = await startApiProcess({ IMPORT_MAX_ROWS: String(MAX_ROWS) }, 'dist');
  auth = await signUp();
});
afterAll(() => api.stop());

describe('CSV upload memory does not depend on the file or its lines', () => {
  it('a 200 MiB single-line CSV is refused with 422 naming row 1, the API staying under 300 MB', async () => {
    const { answer, peak } = await upload('', 'a');
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      type: 'https://massivesms.dev/problems/validation',
      detail: 'row 1: the record exceeds 65536 characters',
    });
    expect(answer.headers.connection).toBe('close');
    expect(peak).toBeLessThan(RSS_LIMIT);
  });

  it('a 200 MiB line of empty fields is refused at the column limit, under 300 MB', async () => {
    const { answer, peak } = await upload('phone\n', ',');
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      type: 'https://massivesms.dev/problems/validation',
      detail: 'row 2: the record has more than 1000 columns',
    });
    expect(peak).toBeLessThan(RSS_LIMIT);
  });

  it(`a 200 MiB file of 1-char lines is staged up to the row limit (${MAX_ROWS}) and refused with 413, under 300 MB`, async () => {
    const { answer, peak } = await upload('phone\n', '1\n');
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      type: 'https://massivesms.dev/problems/payload_too_large',
      detail: `the file has more than ${MAX_ROWS} rows`,
    });
    expect(peak).toBeLessThan(RSS_LIMIT);
  });

  it('2,100 records of 60 KB each stream through in size-bounded chunks, under 300 MB (a longer record ends it)', async () => {
    const field = 'n'.repeat(7500);
    const head = `phone,${'abcdefgh'.split('').join(',')}\n`;
    const row = `+14155550100${`,${field}`.repeat(8)}\n`;
    const tooLong = `+14155550100${`,${field}`.repeat(9)}\n`;
    const { answer, peak } = await upload(head, row, head.length + 2100 * row.length, tooLong);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      type: 'https://massivesms.dev/problems/validation',
      detail: 'row 2102: the record exceeds 65536 characters',
    });
    expect(peak).toBeLessThan(RSS_LIMIT);
  });
});
