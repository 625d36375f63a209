/**
 * Contact-import throughput: a generated 1,000,000-row CSV through the real API (HTTP upload → COPY
 * staging → ImportWorkflow on a real Temporal dev server → contacts), next to the floor the
 * database sets in the same run: a COPY of the very rows the import wrote (already prepared:
 * validated, hashed, sealed) into a scratch table with exactly the contacts table's indexes and
 * constraints. The last line is one JSON object; the process then exits by itself.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Pool } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CpuSampler, type PhaseCpu } from './cpu-sampler';
import { buildProduct, BUILD_FIELD } from './product-build';
import { startProductProcess, type ProductProcess } from './product-process';
import { freePort } from '../tests/support/free-port';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { initialPhoneHashKey } from '../lib/crypto/keys';
import { phoneHash } from '../lib/crypto/phone-hash';
import { normalizePhone } from '../lib/phone';
import { temporalPaths } from '../scripts/temporal-paths';
import { sealPii } from '../services/contacts/contact-pii';
import { phoneFor } from '../tests/support/csv';
import type { ImportProgress } from '../services/imports/import-summary';
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

/**
 * COPY of the rows the import wrote into a scratch table shaped like contacts: same columns, same
 * primary key, unique and secondary indexes, and the same foreign key to accounts. The rows are
 * exported first (COPY BINARY to a file), so only the COPY into the table is timed.
 */
async function copyRealBaseline(pool: Pool, accountId: string, file: string): Promise<number> {
  const client = await pool.connect();
  try {
    await pipeline(
      client.query(copyTo(`copy (select * from contacts where account_id = '${accountId}') to stdout (format binary)`)),
      createWriteStream(file),
    );
    await client.query(`drop table if exists bench_contacts_copy;
      create table bench_contacts_copy (like contacts including all);
      alter table bench_contacts_copy add foreign key (account_id) references accounts (id) on delete cascade;
      checkpoint`);
    const shape = await client.query<{ n: number }>(
      `select (select count(*) from pg_index where indrelid = 'bench_contacts_copy'::regclass)::int
            - (select count(*) from pg_index where indrelid = 'contacts'::regclass)::int
            + (select count(*) from pg_constraint where conrelid = 'bench_contacts_copy'::regclass)::int
            - (select count(*) from pg_constraint where conrelid = 'contacts'::regclass)::int as n`,
    );
    if (shape.rows[0]!.n !== 0) throw new Error('the scratch table does not have the indexes and constraints of contacts');
    const started = performance.now();
    const copied = await new Promise<number>((resolve, reject) => {
      const copy = client.query(copyFrom('copy bench_contacts_copy from stdin (format binary)'));
      copy.on('finish', () => resolve(copy.rowCount ?? 0));
      pipeline(createReadStream(file), copy).catch(reject);
    });
    const seconds = (performance.now() - started) / 1000;
    if (copied !== ROWS) throw new Error(`the baseline copied ${copied} rows, expected ${ROWS}`);
    await client.query('drop table bench_contacts_copy');
    return ROWS / seconds;
  } finally {
    client.release();
    rmSync(file, { force: true }); // ~260 MB for a million rows
  }
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

function logPhase(p: PhaseCpu) {
  const perRow = Object.entries(p.cpuS)
    .map(([name, cpuS]) => `${name} ${((cpuS * 1e6) / ROWS).toFixed(1)}`)
    .join(', ');
  log(`${p.name}: ${p.seconds.toFixed(1)} s wall; CPU µs/row: ${perRow}; cores busy ${p.coreBusyPct.join('% / ')}% (whole machine)`);
}

async function main(): Promise<void> {
  buildProduct(log);
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `contacts-${ROWS}.csv`);
  log(`generating ${ROWS} rows`);
  await writeCsv(file);
  log(`file: ${(statSync(file).size / 1e6).toFixed(1)} MB`);

  const databaseName = `massivesms_bench_${randomBytes(3).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${databaseName}`;
  await prepareDatabase(databaseUrl, urlAsRole(databaseUrl, DEFAULT_APP_ROLE));
  const ownerPool = new Pool({ connectionString: databaseUrl, max: 2 });

  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalPaths().cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  const port = await freePort();
  const productEnv = {
    NODE_ENV: 'production',
    DATABASE_URL: urlAsRole(databaseUrl, DEFAULT_APP_ROLE),
    TEMPORAL_ADDRESS: env.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
    PORT: String(port),
  };
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const processes: ProductProcess[] = [];
  try {
    // The worker first: its start (connecting, creating its Temporal workers) is not part of the import.
    processes.push(await startProductProcess('worker', productEnv, profileDir));
    processes.push(await startProductProcess('api', productEnv, profileDir));
    const [worker, api] = processes as [ProductProcess, ProductProcess];
    const url = `http://127.0.0.1:${port}`;
    const sampler = new CpuSampler(ownerPool, databaseName, processes);

    const signUp = await post(
      url,
      '/v1/accounts',
      { 'content-type': 'application/json' },
      undefined,
      JSON.stringify({ accountName: 'Bench', email: 'bench@example.com', password: 'bench password 123' }),
    );
    const account = signUp.json as { apiKey: { key: string }; account: { id: string } };
    const auth = { authorization: `Bearer ${account.apiKey.key}` };

    log(`importing through the API (RSS before: ${processes.map((p) => `${p.name} ${Math.round(p.rss() / 2 ** 20)} MB`).join(', ')})`);
    for (const p of processes) p.resetPeak();
    sampler.start();
    await sampler.begin('upload + staging');
    const started = performance.now();
    const accepted = await post(url, '/v1/contacts/imports', { ...auth, 'content-type': 'text/csv' }, file);
    if (accepted.status !== 202) throw new Error(`upload answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
    const staging = await sampler.end();
    const processingFrom = process.hrtime.bigint() / 1000n;
    await sampler.begin('processing');
    const temporal = new Client({ connection: env.connection });
    const result: ImportProgress = await temporal.workflow.getHandle(importWorkflowId((accepted.json as { id: string }).id)).result();
    const seconds = (performance.now() - started) / 1000;
    const processing = await sampler.end();
    // CPU profiles' timestamps are on this monotonic clock: the window to summarise them over.
    log(`processing window, monotonic µs: ${processingFrom} to ${process.hrtime.bigint() / 1000n}`);
    const peakRss = { api: api.peakRss(), worker: worker.peakRss() };
    logPhase(staging);
    logPhase(processing);
    for (const line of sampler.stop()) log(line);
    log(`total ${seconds.toFixed(1)} s; result: ${JSON.stringify(result)}`);
    log(`peak RSS during the import: API ${Math.round(peakRss.api / 2 ** 20)} MB, worker ${Math.round(peakRss.worker / 2 ** 20)} MB`);
    if (result.created + result.updated !== ROWS) throw new Error(`expected ${ROWS} contacts, got ${result.created + result.updated}`);

    log('baseline: COPY of the prepared rows into a table shaped like contacts');
    const copyRealRowsPerS = await copyRealBaseline(ownerPool, account.account.id, join(OUT_DIR, `contacts-${ROWS}.copy`));
    log(`context: validate + hash + seal alone, one core: ${Math.round(mandatoryWorkRowsPerS(200_000))} rows/s`);
    const rowsPerS = ROWS / seconds;
    console.log(
      JSON.stringify({
        bench: 'import',
        ...BUILD_FIELD,
        rows: ROWS,
        rows_per_s: Math.round(rowsPerS),
        copy_real_rows_per_s: Math.round(copyRealRowsPerS),
        ratio: Number((rowsPerS / copyRealRowsPerS).toFixed(3)),
        peak_rss_mb: Math.round(Math.max(peakRss.api, peakRss.worker) / 2 ** 20),
        errors: result.invalid,
      }),
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await ownerPool.end();
    await env.teardown();
    await dropDatabase(databaseUrl);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
