/**
 * Send-path throughput and latency, on the production build (bench/product-build.ts). The API and
 * the worker each run in their own process from dist/, with the dispatcher workflows (real
 * Temporal dev server, real Postgres, the official SDKs through the carrier adapters) sending into
 * the simulator process at zero latency. The run is a list of phases (bench/messages-phase.ts),
 * each adding fields to the result line: the worker's RSS at rest; saturation (N messages posted
 * by closed-loop clients until all are sent: `msgs_per_s`, `p99_accept_ms`); an open loop at half
 * that rate (`p99_accept_ms_at_half_load`). In the same run, `sdk_floor_per_s`: the Telnyx adapter
 * (official SDK) sending to the same simulator in a tight loop at the dispatchers' concurrency,
 * writing nothing. `--faults` adds 20 % Telnyx 5xx and 5 % ambiguous sends; `--outbox` writes the
 * messages straight into the outbox instead of through the API (dispatcher throughput alone, no
 * latency phases). Then usage reporting on vs off (bench/messages-billing.ts): `billing_overhead`
 * and `meter_total_matches`. The last line is one JSON object.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_DISPATCH_SETTINGS } from '../activities/messaging/messaging-deps';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { prepareDatabase } from '../db/orm';
import { createBillingProvider } from '../providers/billing/registry';
import { createSmsCarriers } from '../providers/sms/registry';
import { temporalPaths } from '../scripts/temporal-paths';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { FaultPlanInput } from '../simulator/types';
import { checkAgainstLedger } from '../tests/support/ledger-check';
import { startSimulatorProcess } from '../tests/support/simulator-process';
import { dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { freePort } from '../tests/support/free-port';
import { ApiCaller, readyAccount, sdkFloor, spawnProduct, stopProcess } from './bench-kit';
import { billingOverheadPhase, usageReporters, type UsageReporters } from './messages-billing';
import { openLoopPhase } from './messages-open-loop';
import type { MessagesBenchContext, MessagesBenchPhase } from './messages-phase';
import { saturationPhase } from './messages-saturation';
import { withCpuPerMessage } from './messages-cpu';
import { findPid, measuredPid } from './cpu-sampler';
import { workerAtRestPhase } from './messages-worker-at-rest';
import { WORKER_ROLES as WORKER_ROLE_NAMES } from '../workers/worker-roles';
import { buildProduct, BUILD_FIELD } from './product-build';
import { benchDatabase } from './bench-postgres';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const FLOOR_MESSAGES = Number(process.env.BENCH_FLOOR_MESSAGES ?? 20_000);
const FAULTS = process.argv.includes('--faults');
const VIA_OUTBOX = process.argv.includes('--outbox');
/** --overload: an open loop at twice the saturation rate after the half-load phase (shed_fraction, p99_admitted_ms). */
const OVERLOAD = process.argv.includes('--overload');
/** BENCH_PROFILE_DIR=<dir>: the API and the worker write V8 CPU profiles there when they exit. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const CONCURRENCY = SHARDS * DEFAULT_DISPATCH_SETTINGS.sendConcurrency;
/** From the simulator's number inventory (+1 <area> 9xx xxxx): the bench orders it like a customer. */
const FROM = '+14159000100';
/**
 * BENCH_WORKER_ROLES=messaging: the measured worker process serves only these roles (WORKER_ROLES)
 * and a second one the others, as a deployment with one process per role would; default one
 * process serving every role.
 */
const WORKER_ROLES = process.env.BENCH_WORKER_ROLES;
/** BENCH_HALF_LOAD_SECONDS: how long the open-loop phase posts at half the saturation rate. */
const HALF_LOAD_SECONDS = Number(process.env.BENCH_HALF_LOAD_SECONDS ?? 30);
/** BENCH_BILLING_MESSAGES: messages of each of the three usage-reporting passes (off, on, off). */
const BILLING_MESSAGES = Number(process.env.BENCH_BILLING_MESSAGES ?? 20_000);

/** Zero latency, no receipts; with --faults the crash test's mix. */
const FAULT_PLAN: FaultPlanInput = {
  seed: 7,
  callbacks: { mode: 'none' },
  rules: FAULTS
    ? [
        { vendor: 'telnyx', op: 'send', rate: 0.2, fault: { kind: 'status', status: 503 } },
        { vendor: 'telnyx', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
      ]
    : [],
};

const log = (msg: string) => process.stderr.write(`[bench:messages] ${msg}\n`);
const numberFor = (i: number) => `+1415${String(2000000 + (i % 7_000_000)).padStart(7, '0')}`;

/** In order; a phase sees the fields the earlier ones returned. Other phases append themselves here. */
const PHASES = (reporters: UsageReporters, cpu: Parameters<typeof withCpuPerMessage>[1]): MessagesBenchPhase[] => [
  workerAtRestPhase,
  withCpuPerMessage(saturationPhase({ messages: MESSAGES, clients: CLIENTS, viaOutbox: VIA_OUTBOX }), cpu),
  openLoopPhase({ fraction: 0.5, seconds: HALF_LOAD_SECONDS, field: 'half_load' }),
  ...(OVERLOAD ? [openLoopPhase({ fraction: 2, seconds: HALF_LOAD_SECONDS, field: 'overload', shedding: true })] : []),
  billingOverheadPhase({ messages: BILLING_MESSAGES, clients: CLIENTS, reporters }),
];

async function main(): Promise<void> {
  buildProduct(log);
  const database = await benchDatabase(log);
  const ownerUrl = database.ownerUrl;
  const databaseUrl = urlAsRole(ownerUrl, DEFAULT_APP_ROLE);
  await prepareDatabase(ownerUrl, databaseUrl);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalPaths().cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  const sim = await startSimulatorProcess({ seed: 7 });
  const apiPort = await freePort();
  const productEnv: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: env.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
    ...sim.env(),
    // Nothing listens here: receipts are not part of this measurement (the simulator sends none).
    PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    CARRIER_TIMEOUT_MS: FAULTS ? '2000' : '10000',
    DISPATCH_RECONCILE_WAIT_MS: '2000',
    DISPATCH_SHARDS: String(SHARDS),
    PG_POOL_MAX: '8',
    RATE_LIMIT_PER_MINUTE: String(10 * MESSAGES),
    PORT: String(apiPort),
  };
  const config = loadConfig(productEnv);
  const deps = await createServiceDeps(config, 'bench');
  const temporal = new Client({ connection: env.connection });
  const carriers = createSmsCarriers(config);
  const apiBaseUrl = `http://127.0.0.1:${apiPort}`;
  const http = new ApiCaller(apiBaseUrl, CLIENTS);
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let otherRoles: ChildProcess | undefined;

  try {
    await sim.control.setFaults(FAULT_PLAN);
    const floorBefore = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, numberFor);
    log(`sdk floor before: ${Math.round(floorBefore)} msg/s (${FLOOR_MESSAGES} sends, concurrency ${CONCURRENCY})`);
    await sim.control.reset();
    await sim.control.setFaults(FAULT_PLAN);

    // The Billing Meter, as `npm run billing:setup` creates it. Every process serving the background
    // queue has it (as production must); the usage reporters run only in their phase.
    const { meterId } = await createBillingProvider(config)!.ensureCatalogue({
      currency: 'usd',
      segmentUnitAmountDecimal: '0.79',
      platformMonthlyAmount: 2900,
    });
    productEnv.STRIPE_METER_ID = meterId;
    const reporters = usageReporters(temporal, config);
    const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    api = spawnProduct('api', productEnv, profile);
    worker = spawnProduct('worker', { ...productEnv, ...(WORKER_ROLES ? { WORKER_ROLES } : {}) }, profile);
    if (WORKER_ROLES) {
      const others = WORKER_ROLE_NAMES.filter((role) => !WORKER_ROLES.split(',').includes(role));
      otherRoles = spawnProduct('worker', { ...productEnv, WORKER_ROLES: others.join(',') });
    }
    const { auth, accountId } = await readyAccount(http, deps.pgPool, temporal, SHARDS, FROM);
    await reporters.stop();

    const ctx: MessagesBenchContext = {
      http,
      apiBaseUrl,
      auth,
      accountId,
      from: FROM,
      numberFor,
      deps,
      temporal,
      sim,
      api,
      worker,
      log,
      measured: {},
      messageIds: [],
    };
    const temporalPort = env.address.split(':').at(-1)!;
    const temporalPid = findPid((cmd) => cmd.includes('start-dev') && cmd.includes(`--port ${temporalPort}`));
    const cpu = {
      pool: deps.pgPool,
      database: new URL(databaseUrl).pathname.slice(1),
      processes: () => [
        measuredPid('api', api!.pid!),
        measuredPid('worker', worker!.pid!),
        ...(otherRoles ? [measuredPid('worker_other_roles', otherRoles.pid!)] : []),
        ...(temporalPid !== null ? [measuredPid('temporal', temporalPid)] : []),
        measuredPid('simulator', sim.pid),
      ],
    };
    if (temporalPid === null) log('the Temporal dev server process was not found: its CPU is not measured');
    for (const phase of PHASES(reporters, cpu)) {
      log(`phase: ${phase.name}${FAULTS ? ' (under faults)' : ''}`);
      Object.assign(ctx.measured, await phase.run(ctx));
    }
    const ids = ctx.messageIds;
    const msgsPerS = ctx.measured.msgs_per_s as number;
    const verdict = await checkAgainstLedger(deps.pgPool, sim.control, ids);
    log(`ledger: ${JSON.stringify(verdict)}`);

    // Measured again after the run (other load on the machine moves it); the higher figure counts.
    await stopProcess(worker);
    await sim.control.clearFaults();
    const floorAfter = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, numberFor);
    log(`sdk floor after: ${Math.round(floorAfter)} msg/s`);
    const sdkFloorPerS = Math.max(floorBefore, floorAfter);
    console.log(
      JSON.stringify({
        bench: 'messages',
        ...BUILD_FIELD,
        postgres: database.server,
        worker_roles: WORKER_ROLES ?? 'all',
        ...ctx.measured,
        sdk_floor_per_s: Math.round(sdkFloorPerS),
        ratio: Number((msgsPerS / sdkFloorPerS).toFixed(3)),
        ...(VIA_OUTBOX ? { enqueue: 'outbox' } : {}),
        ...(FAULTS ? { faults: true } : {}),
        duplicates: verdict.duplicates,
        lost: verdict.lost + verdict.phantom + verdict.unfinished + (ids.length - verdict.messages),
      }),
    );
  } finally {
    for (let shard = 0; shard < SHARDS; shard++) {
      await temporal.workflow
        .getHandle(dispatchWorkflowId(shard))
        .terminate('bench finished')
        .catch(() => undefined);
    }
    await stopProcess(worker);
    await stopProcess(otherRoles);
    await stopProcess(api);
    http.destroy();
    await closeServiceDeps(deps);
    await sim.stop();
    await env.teardown();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
