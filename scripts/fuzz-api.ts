import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { createImportWorker } from '../workers/create-import-worker';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { temporalPaths } from './temporal-paths';

/** How long Schemathesis may fuzz; FUZZ_MAX_SECONDS overrides. */
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS ?? 180);

function runSchemathesis(baseUrl: string, apiKey: string, extraArgs: string[]): Promise<number> {
  const args = [
    '--config-file',
    join(__dirname, 'fuzz-api.toml'),
    'run',
    `${baseUrl}/openapi.json`,
    '--url',
    baseUrl,
    '--checks',
    'all',
    '--max-time',
    String(MAX_SECONDS),
    '--max-examples',
    '50',
    '--workers',
    '2',
    '--output-sanitize',
    'true',
    ...extraArgs,
  ];
  child = spawn(process.env.SCHEMATHESIS ?? 'schemathesis', args, {
    stdio: 'inherit',
    env: { ...process.env, SCHEMATHESIS_HOOKS: join(__dirname, 'fuzz-api-hooks.py'), FUZZ_API_KEY: apiKey },
  });
  const running = child;
  return new Promise((resolve) => running.on('exit', (code) => resolve(code ?? 1)));
}

/** Undo steps of the private stack, run last-first however the run ends. */
const cleanups: (() => Promise<unknown>)[] = [];
let child: ChildProcess | undefined;

async function tearDown(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    await step().catch((err: unknown) => console.error('[fuzz-api] teardown step failed:', err));
  }
}

/** A private stack for one fuzz run: fresh database, Temporal dev server, worker and API on a free port. */
async function main(): Promise<number> {
  const ownerUrl = `postgres://postgres@127.0.0.1:5432/massivesms_fuzz_${process.pid}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = urlAsRole(ownerUrl, DEFAULT_APP_ROLE);
  cleanups.push(() => dropDatabase(ownerUrl));
  await prepareDatabase(ownerUrl, databaseUrl);
  const logLevel = process.env.LOG_LEVEL ?? 'silent';
  installTemporalRuntime(logLevel, { shutdownSignals: [] });
  const temporalEnv = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalPaths().cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  cleanups.push(() => temporalEnv.teardown());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: logLevel,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalEnv.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
    // Schemathesis sends thousands of requests with one key, and hundreds of deliberately bad ones
    // from one address; the limits themselves have their own tests (operations, authentication).
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_MINUTE: '1000000',
    API_KEY_CREATIONS_PER_HOUR: '1000000',
  });
  const deps = await createServiceDeps(config, 'fuzz');
  cleanups.push(() => closeServiceDeps(deps));
  const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  cleanups.push(() => workerConnection.close());
  const worker = await createImportWorker({ connection: workerConnection, namespace: config.TEMPORAL_NAMESPACE, deps });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
  });
  const app = createApp({ ...deps, temporal: new Client({ connection: temporalEnv.connection, namespace: config.TEMPORAL_NAMESPACE }) });
  const server = app.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signUp = await fetch(`${baseUrl}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountName: 'Fuzz', email: `fuzz-${process.pid}@example.com`, password: 'fuzzing password 123' }),
  });
  if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}`);
  const { apiKey } = (await signUp.json()) as { apiKey: { key: string } };
  return runSchemathesis(baseUrl, apiKey.key, process.argv.slice(2));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    child?.kill(signal);
    void tearDown().then(() => process.exit(130));
  });
}

void main()
  .catch((err: unknown) => {
    console.error(err);
    return 1;
  })
  .then(async (code) => {
    await tearDown();
    process.exit(code);
  });
