/**
 * Campaign throughput. BENCH_RECIPIENTS (default 1,000,000) contacts are imported through the API
 * (CSV upload → ImportWorkflow), put on one list (memberships by one bulk INSERT … SELECT: adding a
 * million members through the API is not what is measured), and one campaign is launched to all of
 * them at the per-account rate cap (both caps raised to BENCH_RATE, default 2,000/s, for this run).
 * Measured from launch until every message is final at the simulator (zero latency, no receipts,
 * recipients in a zone where it is mid-afternoon, so quiet hours hold nobody): snapshot, pages into
 * the outbox, dispatchers, official SDKs. In the same run, `sdk_floor_per_s`: the Telnyx adapter
 * (official SDK) to the same simulator in a tight loop at the dispatchers' concurrency, writing
 * nothing. `max_history_events`: the longest history among the campaign workflow's runs (its
 * continue-as-new chain), read from Temporal. The last line is one JSON object.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_DISPATCH_SETTINGS } from '../activities/messaging/messaging-deps';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { prepareDatabase } from '../db/orm';
import { createSmsCarriers } from '../providers/sms/registry';
import { temporalPaths } from '../scripts/temporal-paths';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import type { ImportProgress } from '../services/imports/import-summary';
import { zoneAtLocalHour } from '../tests/support/audience';
import { phoneFor } from '../tests/support/csv';
import { freePort } from '../tests/support/free-port';
import { checkAgainstLedger } from '../tests/support/ledger-check';
import { startSimulatorProcess } from '../tests/support/simulator-process';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import { importWorkflowId } from '../workflows/import-contacts';
import { dispatchWorkflowId } from '../workflows/messaging/dispatch';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { createListCampaign, uploadCsv, writeAudienceCsv } from './campaign-setup';
import { ApiCaller, readyAccount, sdkFloor, sleep, spawnProduct, stopProcess, waitUntil } from './bench-kit';
import { buildProduct, BUILD_FIELD } from './product-build';
import { benchDatabase } from './bench-postgres';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1_000_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
const RATE = Number(process.env.BENCH_RATE ?? 2_000);
const FLOOR_MESSAGES = Number(process.env.BENCH_FLOOR_MESSAGES ?? 20_000);
/** BENCH_PROFILE_DIR=<dir>: the worker writes a V8 CPU profile there when it exits. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const CONCURRENCY = SHARDS * DEFAULT_DISPATCH_SETTINGS.sendConcurrency;
/** From the simulator's number inventory (+1 <area> 9xx xxxx): the bench orders it like a customer. */
const FROM = '+14159000100';
const FINAL = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;
const OUT_DIR = join(__dirname, '..', '.data', 'bench');

const log = (msg: string) => process.stderr.write(`[bench:campaign] ${msg}\n`);

/** The longest history among the workflow's runs (the first and every continue-as-new). */
async function maxHistoryEvents(temporal: Client, workflowId: string): Promise<{ runs: number; max: number }> {
  let runs = 0;
  let max = 0;
  for await (const run of temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs += 1;
    max = Math.max(max, run.historyLength);
  }
  return { runs, max };
}

async function main(): Promise<void> {
  buildProduct(log);
  mkdirSync(OUT_DIR, { recursive: true });
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
    PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    CARRIER_TIMEOUT_MS: '10000',
    DISPATCH_RECONCILE_WAIT_MS: '2000',
    DISPATCH_SHARDS: String(SHARDS),
    PG_POOL_MAX: '8',
    CAMPAIGN_MAX_RATE_PER_SENDER: String(RATE),
    CAMPAIGN_MAX_RATE_PER_ACCOUNT: String(RATE),
    PORT: String(apiPort),
  };
  const config = loadConfig(productEnv);
  const deps = await createServiceDeps(config, 'bench');
  const temporal = new Client({ connection: env.connection });
  const carriers = createSmsCarriers(config);
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const http = new ApiCaller(baseUrl, 4);
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;

  try {
    await sim.control.setFaults({ seed: 7, callbacks: { mode: 'none' }, rules: [] });
    const floorBefore = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, phoneFor);
    log(`sdk floor before: ${Math.round(floorBefore)} msg/s (${FLOOR_MESSAGES} sends, concurrency ${CONCURRENCY})`);
    await sim.control.reset();
    await sim.control.setFaults({ seed: 7, callbacks: { mode: 'none' }, rules: [] });

    const csv = join(OUT_DIR, `campaign-contacts-${RECIPIENTS}.csv`);
    const timezone = zoneAtLocalHour(14);
    await writeAudienceCsv(csv, RECIPIENTS, timezone);

    api = spawnProduct('api', productEnv);
    worker = spawnProduct('worker', productEnv, PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
    const { auth, accountId } = await readyAccount(http, deps.pgPool, temporal, SHARDS, FROM);

    log(`importing ${RECIPIENTS} contacts through the API (timezone ${timezone})`);
    const importStarted = performance.now();
    const accepted = await uploadCsv(`${baseUrl}/v1/contacts/imports`, auth, csv);
    if (accepted.status !== 202) throw new Error(`upload answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
    const imported: ImportProgress = await temporal.workflow.getHandle(importWorkflowId(accepted.json.id!)).result();
    if (imported.created !== RECIPIENTS) throw new Error(`expected ${RECIPIENTS} contacts, got ${JSON.stringify(imported)}`);
    log(`imported in ${((performance.now() - importStarted) / 1000).toFixed(1)} s`);
    const campaignId = await createListCampaign(http, deps.pgPool, auth, accountId, {
      name: 'Bench',
      template: 'Hello {{name}}, the bench says hi',
      from: FROM,
      ratePerSecond: RATE,
    });
    log(`launching at ${RATE}/s to ${RECIPIENTS} recipients`);
    const started = performance.now();
    const launched = await http.call('POST', `/v1/campaigns/${campaignId}/launch`, auth);
    if (launched.status !== 200) throw new Error(`launch answered ${launched.status}: ${JSON.stringify(launched.json)}`);

    // Final = written − still queued or sending, read in one statement: both counts come from small
    // indexes (the outbox's and the in-flight partial ones), so polling each second costs the database
    // little; counting the final rows themselves took ~1 s at a million and slowed what it measured.
    let final = 0;
    let targeted = 0;
    let lastLog = 0;
    while (final < RECIPIENTS) {
      await sleep(1_000);
      const { rows } = await deps.pgPool.query<{ written: number; unfinished: number }>(
        `select (select queued_count from campaigns where id = $1) as written,
                (select count(*)::int from messages where status = 'queued' and campaign_id = $1)
              + (select count(*)::int from messages where status = 'sending' and campaign_id = $1) as unfinished`,
        [campaignId],
      );
      final = rows[0]!.written - rows[0]!.unfinished;
      const seconds = (performance.now() - started) / 1000;
      if (seconds - lastLog >= 10 || final >= RECIPIENTS) {
        lastLog = seconds;
        if (targeted < RECIPIENTS) {
          const counted = await deps.pgPool.query<{ n: number }>(
            'select count(*)::int as n from campaign_recipients where campaign_id = $1',
            [campaignId],
          );
          targeted = counted.rows[0]!.n;
        }
        log(
          `${seconds.toFixed(0)} s: snapshot ${targeted}, written ${rows[0]!.written}, final ${final} (${Math.round(final / seconds)} msg/s)`,
        );
      }
    }
    const msgsPerS = RECIPIENTS / ((performance.now() - started) / 1000);
    const handle = temporal.workflow.getHandle(campaignWorkflowId(campaignId));
    const result = await handle.result();
    log(`campaign: ${JSON.stringify(result)}`);
    // Visibility follows the runs' closing a little behind: wait until every run is listed closed.
    await waitUntil(async () => {
      for await (const run of temporal.workflow.list({ query: `WorkflowId = "${campaignWorkflowId(campaignId)}"` })) {
        if (run.status.name === 'RUNNING') return false;
      }
      return true;
    }, 'the campaign runs to be listed closed');
    const history = await maxHistoryEvents(temporal, campaignWorkflowId(campaignId));
    log(`workflow runs: ${history.runs}, longest history: ${history.max} events`);

    const { rows: messages } = await deps.pgPool.query<{ id: string }>('select id from messages where campaign_id = $1', [campaignId]);
    const { rows: finals } = await deps.pgPool.query<{ n: number }>(
      `select count(*)::int as n from messages where campaign_id = $1 and status in ${FINAL}`,
      [campaignId],
    );
    if (finals[0]!.n !== RECIPIENTS) throw new Error(`${finals[0]!.n} final messages at the end, not ${RECIPIENTS}`);
    const verdict = await checkAgainstLedger(
      deps.pgPool,
      sim.control,
      messages.map((m) => m.id),
    );
    log(`ledger: ${JSON.stringify(verdict)}`);

    await stopProcess(worker);
    const floorAfter = await sdkFloor(carriers.telnyx, FLOOR_MESSAGES, CONCURRENCY, FROM, phoneFor);
    log(`sdk floor after: ${Math.round(floorAfter)} msg/s`);
    // Other load on the machine moves the floor: the higher of the two counts.
    const sdkFloorPerS = Math.max(floorBefore, floorAfter);
    console.log(
      JSON.stringify({
        bench: 'campaign',
        ...BUILD_FIELD,
        postgres: database.server,
        recipients: RECIPIENTS,
        msgs_per_s: Math.round(msgsPerS),
        sdk_floor_per_s: Math.round(sdkFloorPerS),
        ratio: Number((msgsPerS / sdkFloorPerS).toFixed(3)),
        max_history_events: history.max,
        duplicates: verdict.duplicates,
        lost: verdict.lost + verdict.phantom + verdict.unfinished + (RECIPIENTS - verdict.messages),
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
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
