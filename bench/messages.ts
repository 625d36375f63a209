/**
 * Send-path throughput. N one-off messages are posted to `POST /v1/messages` by concurrent clients
 * (the API and the worker each in their own process, as deployed), drained by the dispatcher
 * workflows (real Temporal dev server, real Postgres, the official SDKs through the carrier adapters)
 * into the simulator process at zero latency, until every message is sent. In the same run,
 * `sdk_floor_per_s`: the Telnyx adapter (official SDK) sending to the same simulator in a tight loop
 * at the dispatchers' concurrency, writing nothing. `--faults` adds 20 % Telnyx 5xx and 5 %
 * ambiguous sends; `--outbox` writes the messages straight into the outbox instead of through the
 * API (dispatcher throughput alone). The last line is one JSON object.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { API_HEAP_FLAG } from '../api/heap-budget';
import { DEFAULT_DISPATCH_SETTINGS } from '../activities/messaging/messaging-deps';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { createSmsCarriers } from '../providers/sms/registry';
import { temporalPaths } from '../scripts/temporal-paths';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { FaultPlanInput } from '../simulator/types';
import { checkAgainstLedger } from '../tests/support/ledger-check';
import { insertQueuedMessages } from '../tests/support/outbox';
import { startSimulatorProcess } from '../tests/support/simulator-process';
import { dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { freePort } from '../tests/support/free-port';
import { ApiCaller, readyAccount, sdkFloor, sleep, spawnProduct, stopProcess } from './bench-kit';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const FLOOR_MESSAGES = Number(process.env.BENCH_FLOOR_MESSAGES ?? 20_000);
const FAULTS = process.argv.includes('--faults');
const VIA_OUTBOX = process.argv.includes('--outbox');
/** BENCH_PROFILE_DIR=<dir>: the API and the worker write V8 CPU profiles there when they exit. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const CONCURRENCY = SHARDS * DEFAULT_DISPATCH_SETTINGS.sendConcurrency;
/** From the simulator's number inventory (+1 <area> 9xx xxxx): the bench orders it like a customer. */
const FROM = '+14159000100';
const TERMINAL = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;

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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const ownerUrl = `postgres://postgres@127.0.0.1:5432/massivesms_bench_${randomBytes(3).toString('hex')}`;
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
  const http = new ApiCaller(`http://127.0.0.1:${apiPort}`, CLIENTS);
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;

  try {
    await sim.control.setFaults(FAULT_PLAN);
    const floorBefore = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, numberFor);
    log(`sdk floor before: ${Math.round(floorBefore)} msg/s (${FLOOR_MESSAGES} sends, concurrency ${CONCURRENCY})`);
    await sim.control.reset();
    await sim.control.setFaults(FAULT_PLAN);

    api = spawnProduct(
      'api/server.ts',
      { ...productEnv, NODE_OPTIONS: API_HEAP_FLAG },
      PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
    );
    worker = spawnProduct('workers/worker.ts', productEnv, PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
    const { auth, accountId } = await readyAccount(http, temporal, SHARDS, FROM);

    log(
      `${VIA_OUTBOX ? 'queueing' : `posting`} ${MESSAGES} messages${VIA_OUTBOX ? ' into the outbox' : ` with ${CLIENTS} clients`}${FAULTS ? ', under faults' : ''}`,
    );
    const started = performance.now();
    let ids: string[];
    const acceptMs: number[] = [];
    if (VIA_OUTBOX) {
      ids = await insertQueuedMessages(
        deps,
        Array.from({ length: MESSAGES }, (_, i) => ({ accountId, from: FROM, to: numberFor(i), body: `bench message ${i}` })),
      );
    } else {
      ids = new Array<string>(MESSAGES);
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < MESSAGES) {
            const i = next++;
            const t0 = performance.now();
            const res = await http.call('POST', '/v1/messages', auth, { to: numberFor(i), from: FROM, body: `bench message ${i}` });
            acceptMs.push(performance.now() - t0);
            if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${JSON.stringify(res.json)}`);
            ids[i] = res.json.id!;
          }
        }),
      );
      log(`accepted ${MESSAGES} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    let done = 0;
    for (;;) {
      const { rows } = await deps.pgPool.query<{ n: number }>(`select count(*)::int as n from messages where status in ${TERMINAL}`);
      if (rows[0]!.n !== done)
        log(`${rows[0]!.n} / ${MESSAGES} done (${Math.round(rows[0]!.n / ((performance.now() - started) / 1000))} msg/s)`);
      done = rows[0]!.n;
      if (done >= MESSAGES) break;
      await sleep(1_000);
    }
    const msgsPerS = MESSAGES / ((performance.now() - started) / 1000);
    const verdict = await checkAgainstLedger(deps.pgPool, sim.control, ids);
    log(`ledger: ${JSON.stringify(verdict)}`);

    // Measured again after the run (other load on the machine moves it); the higher figure counts.
    await stopProcess(worker);
    await sim.control.clearFaults();
    const floorAfter = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, numberFor);
    log(`sdk floor after: ${Math.round(floorAfter)} msg/s`);
    const sdkFloorPerS = Math.max(floorBefore, floorAfter);
    acceptMs.sort((a, b) => a - b);
    if (acceptMs.length > 0)
      log(
        `accept latency ms: p50 ${percentile(acceptMs, 50).toFixed(1)}, p90 ${percentile(acceptMs, 90).toFixed(1)}, p99 ${percentile(acceptMs, 99).toFixed(1)}, max ${acceptMs.at(-1)!.toFixed(1)}`,
      );
    console.log(
      JSON.stringify({
        bench: 'messages',
        messages: MESSAGES,
        msgs_per_s: Math.round(msgsPerS),
        sdk_floor_per_s: Math.round(sdkFloorPerS),
        ratio: Number((msgsPerS / sdkFloorPerS).toFixed(3)),
        p99_accept_ms: acceptMs.length > 0 ? Number(percentile(acceptMs, 99).toFixed(1)) : null,
        ...(VIA_OUTBOX ? { enqueue: 'outbox' } : {}),
        ...(FAULTS ? { faults: true } : {}),
        duplicates: verdict.duplicates,
        lost: verdict.lost + verdict.phantom + verdict.unfinished,
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
    await stopProcess(api);
    http.destroy();
    await closeServiceDeps(deps);
    await sim.stop();
    await env.teardown();
    await dropDatabase(ownerUrl);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
