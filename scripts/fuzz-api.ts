import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { URI, type TOTP } from 'otpauth';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ServiceDeps } from '../services/deps';
import { STAFF_ROLES, type StaffRole } from '../services/staff/staff-roles';
import { StaffEnrolmentService } from '../services/staff/staff-enrolments';
import { HOLDER_COOKIE_SECURE } from '../services/holders/holder-sessions';
import { createBackgroundWorker } from '../workers/background-worker';
import { createCampaignWorker } from '../workers/create-campaign-worker';
import { createImportWorker } from '../workers/create-import-worker';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { markOwnerVerifiedIn } from '../tests/support/owner-verification';
import { startSimulatorProcess } from '../tests/support/simulator-process';
import { OperationCoverage, type OpenApiDocument } from './fuzz-api-coverage';
import { temporalPaths } from './temporal-paths';

/** How long Schemathesis may fuzz; FUZZ_MAX_SECONDS overrides. */
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS ?? 480);
/** Cases per operation and phase; FUZZ_MAX_EXAMPLES overrides. */
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 30);
/** More operations than this answering only 401/403 (or never answered) fail the run. */
const MAX_UNREACHED = 3;

/**
 * Operations that end the credential they are called with: each gets a credential of its own (a
 * throwaway account's key, a spare admin's session), so the rest of the run keeps working ones.
 */
const ISOLATED_OPERATIONS = {
  // DELETE /v1/api-keys/{id} keeps the fuzz key (the keys it revokes are the ones the run created):
  // only the fuzz key's own id is swapped for a decoy, so the run never revokes its credential.
  account: ['POST /v1/account/termination'],
  staff: ['DELETE /staff/v1/sessions/current', 'POST /staff/v1/staff-users/{id}/disable'],
  // Signing out, revoking sessions, changing the password (which ends the holder's other sessions and
  // rotates this one) and switching account (which rotates this one).
  holder: [
    'DELETE /v1/sessions',
    'DELETE /v1/sessions/{id}',
    'POST /v1/sessions/sign-out',
    'POST /v1/account/password',
    'POST /v1/sessions/account',
  ],
} as const;

interface FuzzCredentials {
  apiKey: string;
  /** The fuzz account holder's session cookie value (the holderSession scheme). */
  holderSession: string;
  /** An admin's staff token: the configured staffToken credential. */
  staffToken: string;
  /** A staff token per role, for operations that do not admit admin. */
  staffTokens: Record<StaffRole, string>;
  isolated: Record<string, string>;
  /** The fuzz account's and the standing staff users' ids -> a decoy account's or staff user's id. */
  decoys: Record<string, string>;
}

function runSchemathesis(baseUrl: string, credentials: FuzzCredentials, extraArgs: string[]): Promise<number> {
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
    String(MAX_EXAMPLES),
    '--workers',
    '2',
    '--output-sanitize',
    'true',
    ...extraArgs,
  ];
  child = spawn(process.env.SCHEMATHESIS ?? 'schemathesis', args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      SCHEMATHESIS_HOOKS: join(__dirname, 'fuzz-api-hooks.py'),
      FUZZ_API_KEY: credentials.apiKey,
      FUZZ_HOLDER_SESSION: credentials.holderSession,
      FUZZ_STAFF_TOKEN: credentials.staffToken,
      FUZZ_STAFF_TOKENS: JSON.stringify(credentials.staffTokens),
      FUZZ_ISOLATED_CREDENTIALS: JSON.stringify(credentials.isolated),
      FUZZ_DECOYS: JSON.stringify(credentials.decoys),
    },
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

function runWorker(worker: Worker): void {
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
  });
}

/** A private stack for one fuzz run: fresh database, Temporal dev server, provider simulator, workers and API on a free port. */
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
  // Number search and ordering, staff enrolment emails and the like reach the vendors: the simulator stands in for them.
  const simulator = await startSimulatorProcess();
  cleanups.push(() => simulator.stop());
  const config = loadConfig({
    ...simulator.env(),
    NODE_ENV: 'test',
    LOG_LEVEL: logLevel,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalEnv.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
    // Google sign-in stays unconfigured: its start answers a redirect to the issuer, and its callback
    // and link need a browser's flow cookie and a pending link; so they answer their documented 404
    // (their schemas are still fuzzed), and tests/holder-google-sign-in.test.ts drives the real flow.
    // Schemathesis sends thousands of requests with one key, and hundreds of deliberately bad ones
    // from one address; the limits themselves have their own tests (operations, authentication).
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_MINUTE: '1000000',
    API_KEY_CREATIONS_PER_HOUR: '1000000',
  });
  const deps = await createServiceDeps(config, 'fuzz');
  cleanups.push(() => closeServiceDeps(deps));
  const temporal = new Client({ connection: temporalEnv.connection, namespace: config.TEMPORAL_NAMESPACE });
  const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  cleanups.push(() => workerConnection.close());
  // Every worker whose workflows an operation starts or steers (updates wait for their worker), one bundle for all.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
  const options = { connection: workerConnection, namespace: config.TEMPORAL_NAMESPACE, deps, workflowBundle };
  for (const create of [createImportWorker, createCampaignWorker]) runWorker(await create(options));
  runWorker(await createBackgroundWorker({ ...options, temporal }));
  const app = createApp({ ...deps, temporal });
  /** Every answer's method, URL and status, for the coverage summary. */
  const answers: [string, string, number][] = [];
  const server = createServer((req, res) => {
    res.on('finish', () => answers.push([req.method ?? '', req.url ?? '', res.statusCode]));
    app(req, res);
  }).listen(0, '127.0.0.1');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credentials = await makeCredentials(baseUrl, deps);
  const coverage = new OperationCoverage((await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument);
  answers.length = 0;
  const status = await runSchemathesis(baseUrl, credentials, process.argv.slice(2));
  for (const [method, url, code] of answers) coverage.record(method, url, code);
  const lost = await lostCredentials(baseUrl, credentials);
  if (lost.length > 0) {
    console.error(`[fuzz-api] credentials lost during the run: ${lost.join(', ')}; the audit log says:`);
    for (const row of (await deps.pgPool.query('select actor_type, action, target_type, target_id from audit_log order by seq')).rows)
      console.error(`[fuzz-api]   ${JSON.stringify(row)}`);
    return status === 0 ? 1 : status;
  }
  const unreached = coverage.unreached();
  console.log(`[fuzz-api] ${coverage.size} operations; ${unreached.length} answered only 401/403 or not at all`);
  for (const op of unreached) console.log(`[fuzz-api]   ${op.name}: ${op.statuses.join(', ') || 'no request'}`);
  if (unreached.length > MAX_UNREACHED) {
    console.error(`[fuzz-api] more than ${MAX_UNREACHED} operations never reached their handler: failing the run`);
    return status === 0 ? 1 : status;
  }
  return status;
}

/** The run's standing credentials (not the isolated ones) that no longer work. */
async function lostCredentials(baseUrl: string, credentials: FuzzCredentials): Promise<string[]> {
  const checks: [string, string, string][] = [
    ['the fuzz account key', '/v1/account', credentials.apiKey],
    ...Object.entries(credentials.staffTokens).map(([role, token]): [string, string, string] => [
      `the ${role} staff token`,
      '/staff/v1/me',
      token,
    ]),
  ];
  const lost: string[] = [];
  for (const [name, path, token] of checks) {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) lost.push(`${name} (${res.status})`);
  }
  const holder = await fetch(`${baseUrl}/v1/account/profile`, {
    headers: { cookie: `${HOLDER_COOKIE_SECURE}=${credentials.holderSession}` },
  });
  if (holder.status !== 200) lost.push(`the fuzz holder's session cookie (${holder.status})`);
  return lost;
}

async function post(baseUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

const HOLDER_PASSWORD = 'fuzzing password 123';

/**
 * An account signed up through the API: its id and first key, and its holder's session cookie. The
 * owner is marked verified as the emailed link would (sending needs it).
 */
async function signUp(
  baseUrl: string,
  deps: ServiceDeps,
  name: string,
): Promise<{ id: string; key: string; keyId: string; cookie: string }> {
  const email = `fuzz-${name.toLowerCase()}-${process.pid}@example.com`;
  const answer = await post(baseUrl, '/v1/accounts', { accountName: name, email, password: HOLDER_PASSWORD });
  const apiKey = answer.apiKey as { key: string; id: string };
  const id = (answer.account as { id: string }).id;
  await markOwnerVerifiedIn(deps.pgPool, id);
  const signedIn = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: HOLDER_PASSWORD, accountId: id }),
  });
  const cookie = /^[^=]+=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1];
  if (signedIn.status !== 201 || !cookie) throw new Error(`POST /v1/sessions answered ${signedIn.status} without a session cookie`);
  return { id, key: apiKey.key, keyId: apiKey.id, cookie };
}

/** Created as the bootstrap CLI creates one, then enrolled with the token its enrolment email would carry. */
async function createStaffUser(deps: ServiceDeps, role: StaffRole, name: string) {
  const email = `fuzz-${name}-${process.pid}@massivesms.example`;
  const password = `fuzz staff ${randomBytes(8).toString('hex')}`;
  const service = new StaffEnrolmentService({ staffTotpKey: deps.keys.staffTotpKey, email: null, apiBaseUrl: deps.config.PUBLIC_BASE_URL });
  const { user, enrolment } = await service.createUser(deps.orm.em.fork(), { email, role }, 'operator');
  const enrolled = await service.enrol(deps.orm.em.fork(), enrolment.token, password);
  return { id: user.id, email, password, otpauthUri: enrolled.otpauthUri };
}

/** A staff user made as the bootstrap CLI makes one, signed in through the API with its TOTP code. */
async function staffSession(baseUrl: string, deps: ServiceDeps, role: StaffRole, name: string): Promise<{ id: string; token: string }> {
  const user = await createStaffUser(deps, role, name);
  const code = (URI.parse(user.otpauthUri) as TOTP).generate();
  const answer = await post(baseUrl, '/staff/v1/sessions', { email: user.email, password: user.password, code });
  return { id: user.id, token: answer.token as string };
}

async function makeCredentials(baseUrl: string, deps: ServiceDeps): Promise<FuzzCredentials> {
  const decoyStaff = await createStaffUser(deps, 'support', 'decoy');
  const decoys: Record<string, string> = {};
  const staffTokens = {} as Record<StaffRole, string>;
  for (const role of STAFF_ROLES) {
    const session = await staffSession(baseUrl, deps, role, role);
    staffTokens[role] = session.token;
    decoys[session.id] = decoyStaff.id;
  }
  const isolated: Record<string, string> = {};
  for (const [i, name] of ISOLATED_OPERATIONS.account.entries()) isolated[name] = (await signUp(baseUrl, deps, `Throwaway${i}`)).key;
  for (const [i, name] of ISOLATED_OPERATIONS.holder.entries()) isolated[name] = (await signUp(baseUrl, deps, `Holder${i}`)).cookie;
  for (const [i, name] of ISOLATED_OPERATIONS.staff.entries())
    isolated[name] = (await staffSession(baseUrl, deps, 'admin', `spare${i}`)).token;
  const fuzz = await signUp(baseUrl, deps, 'Fuzz');
  const decoy = await signUp(baseUrl, deps, 'Decoy');
  decoys[fuzz.id] = decoy.id;
  decoys[fuzz.keyId] = decoy.keyId;
  return { apiKey: fuzz.key, holderSession: fuzz.cookie, staffToken: staffTokens.admin, staffTokens, isolated, decoys };
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
