/**
 * Send-path throughput: N queued one-off messages drained by the dispatcher workflows (real Temporal
 * dev server, real Postgres, the official SDKs through the carrier adapters) into the simulator
 * process at zero latency, until every message is sent; next to `sdk_floor_per_s`, the Telnyx
 * adapter (official SDK) sending to the same simulator in a tight loop at the same concurrency and
 * writing nothing. `--faults` adds 20 % Telnyx 5xx and 5 % ambiguous sends. The last line is one
 * JSON object. Messages enter the outbox the way the messages service writes them (sealed rows);
 * `POST /v1/messages` replaces that once the messages API exists.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { createSmsCarriers } from '../providers/sms/registry';
import { temporalPaths } from '../scripts/temporal-paths';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { mapBounded } from '../services/messaging/send-concurrency';
import { checkAgainstLedger } from '../tests/support/ledger-check';
import { insertQueuedMessages } from '../tests/support/outbox';
import { startSimulatorProcess } from '../tests/support/simulator-process';
import { DEFAULT_DISPATCH_SETTINGS } from '../activities/messaging/messaging-deps';
import { createMessagingWorker, ensureDispatchWorkflows } from '../workers/create-messaging-worker';
import { dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import type { FaultPlanInput } from '../simulator/types';
import type { SmsCarrier } from '../providers/sms/carrier';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
const FLOOR_MESSAGES = Number(process.env.BENCH_FLOOR_MESSAGES ?? 20_000);
const FAULTS = process.argv.includes('--faults');
const CONCURRENCY = SHARDS * DEFAULT_DISPATCH_SETTINGS.sendConcurrency;
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const numberFor = (i: number) => `+1415${String(2000000 + (i % 7_000_000)).padStart(7, '0')}`;

/** The official Telnyx SDK (through its adapter, which only classifies) in a tight loop at the dispatchers' concurrency, writing nothing. */
async function sdkFloor(telnyx: SmsCarrier): Promise<number> {
  const started = performance.now();
  await mapBounded(
    Array.from({ length: FLOOR_MESSAGES }, (_, i) => i),
    CONCURRENCY,
    (i) =>
      telnyx.send({
        messageId: `floor-${i}`,
        attemptId: `floor-${i}`,
        from: '+14155550100',
        to: numberFor(i),
        body: `floor ${i}`,
        statusCallbackUrl: `http://127.0.0.1:9/floor?i=${i}`,
      }),
  );
  return FLOOR_MESSAGES / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/massivesms_bench_${randomBytes(3).toString('hex')}`;
  await prepareDatabase(databaseUrl, urlAsRole(databaseUrl, DEFAULT_APP_ROLE));
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalPaths().cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS, ui: false },
  });
  const sim = await startSimulatorProcess({ seed: 7 });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: urlAsRole(databaseUrl, DEFAULT_APP_ROLE),
    TEMPORAL_ADDRESS: env.address,
    MASTER_KEY: randomBytes(32).toString('base64'),
    ...sim.env(),
    // Nothing listens here: receipts are not part of this measurement (the simulator sends none).
    PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    CARRIER_TIMEOUT_MS: FAULTS ? '2000' : '10000',
    DISPATCH_RECONCILE_WAIT_MS: '2000',
    DISPATCH_SHARDS: String(SHARDS),
    PG_POOL_MAX: '8',
  });
  const deps = await createServiceDeps(config, 'bench');
  const temporal = new Client({ connection: env.connection });
  const app = createApp({ ...deps, temporal });
  const carriers = createSmsCarriers(config);
  let workerConnection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  let stopWorker = () => undefined as void;

  try {
    await sim.control.setFaults(FAULT_PLAN);

    const floorBefore = await sdkFloor(carriers.telnyx);
    log(`sdk floor before: ${Math.round(floorBefore)} msg/s`);
    await sim.control.reset();
    await sim.control.setFaults(FAULT_PLAN);

    const signUp = await request(app)
      .post('/v1/accounts')
      .send({ accountName: 'Bench', email: 'bench@example.com', password: 'bench password 123' });
    if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}`);
    const accountId: string = signUp.body.account.id;

    log(`queueing ${MESSAGES} messages`);
    const ids = await insertQueuedMessages(
      deps,
      Array.from({ length: MESSAGES }, (_, i) => ({ accountId, from: '+14155550100', to: numberFor(i), body: `bench message ${i}` })),
    );

    log(`draining with ${SHARDS} dispatcher shards${FAULTS ? ' under faults' : ''}`);
    workerConnection = await NativeConnection.connect({ address: env.address });
    const worker = await createMessagingWorker({ connection: workerConnection, namespace: 'default', deps, carriers });
    running = worker.run();
    stopWorker = () => worker.shutdown();
    const started = performance.now();
    await ensureDispatchWorkflows(temporal, config);
    let done = 0;
    for (;;) {
      const { rows } = await deps.pgPool.query<{ n: number }>(
        `select count(*)::int as n from messages where status in ('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`,
      );
      if (rows[0]!.n !== done) log(`${rows[0]!.n} / ${MESSAGES} (${Math.round(rows[0]!.n / ((performance.now() - started) / 1000))} msg/s)`);
      done = rows[0]!.n;
      if (done >= MESSAGES) break;
      await sleep(done === 0 ? 200 : 1_000);
    }
    const seconds = (performance.now() - started) / 1000;
    const msgsPerS = MESSAGES / seconds;
    const verdict = await checkAgainstLedger(deps.pgPool, sim.control, ids);
    log(`ledger: ${JSON.stringify(verdict)}`);
    // Measured again after the run (other load on the machine moves it); the higher figure is the floor.
    await sim.control.clearFaults();
    const floorAfter = await sdkFloor(carriers.telnyx);
    log(`sdk floor after: ${Math.round(floorAfter)} msg/s`);
    const sdkFloorPerS = Math.max(floorBefore, floorAfter);
    console.log(
      JSON.stringify({
        bench: 'messages',
        messages: MESSAGES,
        msgs_per_s: Math.round(msgsPerS),
        sdk_floor_per_s: Math.round(sdkFloorPerS),
        ratio: Number((msgsPerS / sdkFloorPerS).toFixed(3)),
        // The API's 202 is measured once POST /v1/messages exists; this run enqueues into the outbox directly.
        p99_accept_ms: null,
        enqueue: 'outbox',
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
    stopWorker();
    await running;
    await workerConnection?.close();
    await closeServiceDeps(deps);
    await sim.stop();
    await env.teardown();
    await dropDatabase(databaseUrl);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
