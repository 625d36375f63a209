/**
 * Contact-import throughput: a generated 1,000,000-row CSV through the real API (HTTP upload → COPY
 * staging → ImportWorkflow on a real Temporal dev server → contacts), next to a raw COPY of the same
 * file into a bare table in the same run. The last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { from as copyFrom } from 'pg-copy-streams';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { initialPhoneHashKey } from '../lib/crypto/keys';
import { phoneHash } from '../lib/crypto/phone-hash';
import { normalizePhone } from '../lib/phone';
import { temporalPaths } from '../scripts/temporal-paths';
import { sealPii } from '../services/contacts/contact-pii';
import { phoneFor } from '../tests/support/csv';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ImportProgress } from '../services/imports/import-summary';
import { createImportWorker } from '../workers/create-import-worker';
import { importWorkflowId } from '../workflows/import-contacts';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const OUT_DIR = join(__dirname, '..', '.data', 'bench');
const log = (msg: string) => process.stderr.write(`[bench:import] ${msg}\n`);

async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('phone,name,city,opt_in_source\n');
  for (let i = 0; i < ROWS; i++) {
    const line = `${phoneFor(i)},Person ${i},City ${i % 97},web\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function post(
  url: string,
  path: string,
  headers: Record<string, string>,
  file?: string,
  body?: string,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method: 'POST', headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) }));
    });
    req.on('error', reject);
    if (file) createReadStream(file).pipe(req);
    else req.end(body);
  });
}

async function rawCopy(databaseUrl: string, file: string): Promise<number> {
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const client = await pool.connect();
  await client.query(
    'drop table if exists bench_raw_copy; create table bench_raw_copy (phone text, name text, city text, opt_in_source text)',
  );
  const started = performance.now();
  await pipeline(createReadStream(file), client.query(copyFrom('copy bench_raw_copy from stdin with (format csv, header true)')));
  const seconds = (performance.now() - started) / 1000;
  client.release();
  await pool.end();
  return ROWS / seconds;
}

/**
 * The per-row work the product must do whatever the design (E.164 validation, keyed phone hash,
 * AES-256-GCM sealing of the PII), on one core: context for reading the ratio against raw COPY.
 */
function mandatoryWorkRowsPerS(sample: number): number {
  const phoneHashKey = initialPhoneHashKey(randomBytes(32).toString('base64'));
  const dataKey = { accountId: 'bench', version: 1, key: randomBytes(32) };
  const started = performance.now();
  for (let i = 0; i < sample; i++) {
    const phone = normalizePhone(phoneFor(i));
    if (!phone.ok) throw new Error('bench numbers must be valid');
    phoneHash(phoneHashKey, phone.e164);
    sealPii(dataKey, `contact-${i}`, { phone: phone.e164, name: `Person ${i}`, attributes: { city: `City ${i % 97}` }, optInIp: null });
  }
  return sample / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `contacts-${ROWS}.csv`);
  log(`generating ${ROWS} rows`);
  await writeCsv(file);
  log(`file: ${(statSync(file).size / 1e6).toFixed(1)} MB`);

  const databaseUrl = `postgres://postgres@127.0.0.1:5432/massivesms_bench_${randomBytes(3).toString('hex')}`;
  await prepareDatabase(databaseUrl, urlAsRole(databaseUrl, DEFAULT_APP_ROLE));

  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalPaths().cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: urlAsRole(databaseUrl, DEFAULT_APP_ROLE),
    TEMPORAL_ADDRESS: env.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
  });
  const deps = await createServiceDeps(config, 'bench');
  const temporal = new Client({ connection: env.connection });
  const app = createApp({ ...deps, temporal });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const workerConnection = await NativeConnection.connect({ address: env.address });
  const worker = await createImportWorker({ connection: workerConnection, namespace: 'default', deps });
  const running = worker.run();

  try {
    const signUp = await post(
      url,
      '/v1/accounts',
      { 'content-type': 'application/json' },
      undefined,
      JSON.stringify({ accountName: 'Bench', email: 'bench@example.com', password: 'bench password 123' }),
    );
    const auth = { authorization: `Bearer ${(signUp.json as { apiKey: { key: string } }).apiKey.key}` };

    log('importing through the API');
    const started = performance.now();
    const accepted = await post(url, '/v1/contacts/imports', { ...auth, 'content-type': 'text/csv' }, file);
    if (accepted.status !== 202) throw new Error(`upload answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
    const staged = performance.now();
    const result: ImportProgress = await temporal.workflow.getHandle(importWorkflowId((accepted.json as { id: string }).id)).result();
    const seconds = (performance.now() - started) / 1000;
    log(
      `upload+staging ${((staged - started) / 1000).toFixed(1)} s, processing ${((performance.now() - staged) / 1000).toFixed(1)} s, total ${seconds.toFixed(1)} s`,
    );
    log(`result: ${JSON.stringify(result)}`);
    if (result.created + result.updated !== ROWS) throw new Error(`expected ${ROWS} contacts, got ${result.created + result.updated}`);

    log('raw COPY baseline');
    const copyRowsPerS = await rawCopy(databaseUrl, file);
    log(`context: validate + hash + seal alone, one core: ${Math.round(mandatoryWorkRowsPerS(200_000))} rows/s`);
    const rowsPerS = ROWS / seconds;
    console.log(
      JSON.stringify({
        bench: 'import',
        rows: ROWS,
        rows_per_s: Math.round(rowsPerS),
        copy_rows_per_s: Math.round(copyRowsPerS),
        ratio: Number((rowsPerS / copyRowsPerS).toFixed(3)),
        errors: result.invalid,
      }),
    );
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    server.close();
    await closeServiceDeps(deps);
    await env.teardown();
    await dropDatabase(databaseUrl);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
