/**
 * Reliability under infrastructure faults. Its own PostgreSQL cluster (scripts/private-postgres.ts),
 * a Temporal dev server on a SQLite file (scripts/private-temporal.ts), two API and two worker
 * processes from the production build (`node dist/...`, restarted whenever they exit, as an
 * orchestrator would), and the simulator. Load: a campaign to --recipients contacts (default 50,000)
 * plus a steady stream of one-off sends from clients that retry with the same Idempotency-Key on
 * 5xx, 429, 409 (in progress) and connection errors. Faults on a schedule drawn from --seed
 * (bench/chaos-schedule.ts), one at a time, each followed by a wait for recovery; 20 % Telnyx 503
 * and 5 % ambiguous timeouts throughout. Then it drains and checks every accepted message and every
 * eligible campaign recipient against the simulator's ledger. The last line is one JSON object.
 *
 *   npm run bench:chaos -- --seed 7 --recipients 10000 [--no-build]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { API_HEAP_FLAG } from '../api/heap-budget';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { prepareDatabase } from '../db/orm';
import { startPrivatePostgres, type PrivatePostgres } from '../scripts/private-postgres';
import { startPrivateTemporal, type PrivateTemporal } from '../scripts/private-temporal';
import type { FaultPlanInput, LedgerEntry } from '../simulator/types';
import { zoneAtLocalHour } from '../tests/support/audience';
import { freePort } from '../tests/support/free-port';
import { allEntries } from '../tests/support/ledger-check';
import { startSimulatorProcess, type SimulatorProcess } from '../tests/support/simulator-process';
import { importWorkflowId } from '../workflows/import-contacts';
import { createListCampaign, uploadCsv, writeAudienceCsv } from './campaign-setup';
import { ApiCaller, readyAccount, sleep, waitUntil } from './bench-kit';
import { SupervisedProcess } from './chaos-processes';
import { chaosSchedule, describeFault, type Fault } from './chaos-schedule';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const SEED = Number(flag('seed') ?? process.env.CHAOS_SEED ?? 1);
const RECIPIENTS = Number(flag('recipients') ?? process.env.BENCH_RECIPIENTS ?? 50_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const ONE_OFF_PER_S = Number(process.env.CHAOS_ONE_OFF_PER_S ?? 5);
const CLIENTS = 4;
const SHARDS = 2;
/** The drain after the last fault ends at this bound (the run is bounded: it reports what it found). */
const DRAIN_S = Number(process.env.CHAOS_DRAIN_S ?? 240);
/** A careful client gives up on one request after this long. */
const CLIENT_PATIENCE_MS = 150_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** After a fault is lifted, 5xx answers this long are still the fault's. */
const FAULT_GRACE_MS = 10_000;
const FROM = '+14159000100';
const TERMINAL = ['sent', 'delivered', 'undelivered', 'failed', 'suppressed'];
const OUT_DIR = join(__dirname, '..', '.data', 'bench');

const t0 = Date.now();
const log = (msg: string) => process.stderr.write(`[bench:chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
const oneOffNumber = (k: number) => `+1415${300 + Math.floor(k / 10_000)}${String(k % 10_000).padStart(4, '0')}`;

/** Simulator faults throughout; the Telnyx outage is added at its slot in the schedule. */
function faultPlan(outageMs?: number): FaultPlanInput {
  return {
    seed: SEED,
    callbacks: { mode: 'none' },
    rules: [
      { vendor: 'telnyx', op: 'send', rate: 0.2, fault: { kind: 'status', status: 503 } },
      { vendor: 'telnyx', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
    ],
    outages: outageMs ? [{ vendor: 'telnyx', startInMs: 0, durationMs: outageMs, mode: 'refuse' }] : [],
  };
}

interface Window {
  from: number;
  to: number;
}

/** What the retrying clients saw. */
class ClientLedger {
  accepted = new Map<string, string>(); // idempotency key → message id
  gaveUp = 0;
  fiveXx: { at: number; status: number }[] = [];
  lastAcceptAt = 0;
  differentIds = 0;
}

/** One POST /v1/messages, retried under the same Idempotency-Key, alternating between the API processes. */
async function sendOneOff(apis: string[], agent: Agent, auth: Record<string, string>, k: number, seen: ClientLedger): Promise<void> {
  const key = `chaos-${SEED}-${k}`;
  const body = JSON.stringify({ to: oneOffNumber(k), from: FROM, body: `chaos one-off ${k}` });
  const giveUpAt = Date.now() + CLIENT_PATIENCE_MS;
  for (let attempt = 0; ; attempt++) {
    const base = apis[(k + attempt) % apis.length]!;
    const answer = await new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = httpRequest(
        `${base}/v1/messages`,
        {
          method: 'POST',
          agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
          res.on('error', (err) => resolve({ error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ error: err.message }));
      req.end(body);
    });
    if ('status' in answer) {
      if (answer.status >= 500) seen.fiveXx.push({ at: Date.now(), status: answer.status });
      if (answer.status === 202) {
        const id = (JSON.parse(answer.body) as { id: string }).id;
        const before = seen.accepted.get(key);
        if (before !== undefined && before !== id) seen.differentIds += 1;
        seen.accepted.set(key, id);
        seen.lastAcceptAt = Date.now();
        return;
      }
      if (answer.status < 500 && answer.status !== 429 && answer.status !== 409) {
        throw new Error(`POST /v1/messages answered ${answer.status}: ${answer.body}`);
      }
    }
    if (Date.now() > giveUpAt) {
      seen.gaveUp += 1;
      log(`client gave up on ${key}: last answer ${JSON.stringify(answer).slice(0, 300)}`);
      return;
    }
    await sleep(Math.min(4_000, 250 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
  }
}

async function main(): Promise<void> {
  const runDir = join(OUT_DIR, `chaos-${SEED}-${t0}`);
  mkdirSync(runDir, { recursive: true });
  if (!process.argv.includes('--no-build')) {
    log('building (npm run build)');
    const built = spawnSync('npm', ['run', 'build'], { cwd: join(__dirname, '..'), stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  let pg: PrivatePostgres | undefined;
  let temporal: PrivateTemporal | undefined;
  let sim: SimulatorProcess | undefined;
  let pool: Pool | undefined;
  const processes: SupervisedProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });
  const httpCallers: ApiCaller[] = [];
  const cleanUp = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    agent.destroy();
    for (const h of httpCallers) h.destroy();
    await pool?.end().catch(() => undefined);
    await sim?.stop();
    await temporal?.destroy();
    await pg?.destroy();
  };
  // Ctrl-C stops what the bench started (the private cluster is a daemon: it would outlive us).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything the bench started`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    pg = await startPrivatePostgres();
    const ownerUrl = pg.url('massivesms');
    const databaseUrl = urlAsRole(ownerUrl, DEFAULT_APP_ROLE);
    await prepareDatabase(ownerUrl, databaseUrl);
    temporal = await startPrivateTemporal();
    sim = await startSimulatorProcess({ seed: SEED });
    log(`postgres on ${pg.port}, temporal on ${temporal.address}, seed ${SEED}, ${RECIPIENTS} recipients; logs in ${runDir}`);
    const productEnv: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      MASTER_KEY: randomBytes(32).toString('base64'),
      ...sim.env(),
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      CARRIER_TIMEOUT_MS: '2000',
      DISPATCH_RECONCILE_WAIT_MS: '2000',
      DISPATCH_SHARDS: String(SHARDS),
      PG_POOL_MAX: '8',
      RATE_LIMIT_PER_MINUTE: '1000000',
      CAMPAIGN_MAX_RATE_PER_SENDER: String(RATE),
      CAMPAIGN_MAX_RATE_PER_ACCOUNT: String(RATE),
    };
    const apiPorts = [await freePort(), await freePort()];
    const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    apiPorts.forEach((port, i) =>
      processes.push(
        new SupervisedProcess(`api-${i + 1}`, 'api/server.js', { ...productEnv, PORT: String(port), NODE_OPTIONS: API_HEAP_FLAG }, runDir),
      ),
    );
    for (const i of [1, 2]) processes.push(new SupervisedProcess(`worker-${i}`, 'workers/worker.js', productEnv, runDir));
    for (const p of processes) p.start();
    const byName = new Map(processes.map((p) => [p.name, p]));

    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    pool.on('error', () => undefined); // idle clients die with every Postgres stop
    const setupConnection = await Connection.connect({ address: temporal.address });
    const http = new ApiCaller(apiUrls[0]!, 4);
    httpCallers.push(http);
    const { auth, accountId } = await readyAccount(http, pool, new Client({ connection: setupConnection }), SHARDS, FROM);
    const second = new ApiCaller(apiUrls[1]!, 1);
    httpCallers.push(second);
    await waitUntil(async () => (await second.call('GET', '/healthz', {})).status === 200, 'the second API');

    log(`importing ${RECIPIENTS} contacts`);
    const csv = join(OUT_DIR, `chaos-contacts-${RECIPIENTS}.csv`);
    await writeAudienceCsv(csv, RECIPIENTS, zoneAtLocalHour(14));
    const imported = await uploadCsv(`${apiUrls[0]}/v1/contacts/imports`, auth, csv);
    if (imported.status !== 202) throw new Error(`upload answered ${imported.status}: ${JSON.stringify(imported.json)}`);
    await new Client({ connection: setupConnection }).workflow.getHandle(importWorkflowId(imported.json.id!)).result();
    const campaignId = await createListCampaign(http, pool, auth, accountId, {
      name: 'Chaos',
      template: 'Hello {{name}}, chaos says hi',
      from: FROM,
      ratePerSecond: RATE,
    });
    await setupConnection.close();

    await sim.control.setFaults(faultPlan());
    const launched = await http.call('POST', `/v1/campaigns/${campaignId}/launch`, auth);
    if (launched.status !== 200) throw new Error(`launch answered ${launched.status}: ${JSON.stringify(launched.json)}`);
    log(`campaign launched at ${RATE}/s; one-off stream at ${ONE_OFF_PER_S}/s; faults begin`);

    // The one-off stream: a new send every 1/ONE_OFF_PER_S s, each retried by its own careful client.
    const seen = new ClientLedger();
    let streaming = true;
    let nextKey = 0;
    const inFlight = new Set<Promise<void>>();
    const stream = (async () => {
      while (streaming) {
        const k = nextKey++;
        const p = sendOneOff(apiUrls, agent, auth, k, seen).finally(() => inFlight.delete(p));
        inFlight.add(p);
        await sleep(1000 / ONE_OFF_PER_S);
      }
    })();

    // Faults, one at a time; each is lifted, then the bench waits until the system is back.
    const windows: Window[] = [];
    const recoveries: { fault: string; seconds: number }[] = [];
    const ledgerTotal = async () => (await sim!.control.ledger({ limit: 1 })).total;
    const lift = async (fault: Fault): Promise<void> => {
      if (fault.kind === 'postgres-stop') {
        await pg!.stopImmediate();
        await sleep(fault.downMs);
        await pg!.start();
      } else if (fault.kind === 'temporal-kill') {
        await temporal!.kill();
        await sleep(fault.downMs);
        await temporal!.start();
      } else if (fault.kind === 'telnyx-outage') {
        await sim!.control.setFaults(faultPlan(fault.downMs));
        await sleep(fault.downMs);
        await sim!.control.setFaults(faultPlan());
      } else {
        await byName.get(fault.target)!.signal(fault.signal);
      }
    };
    for (const { fault, gapMs } of chaosSchedule(SEED, ['api-1', 'api-2'], ['worker-1', 'worker-2'])) {
      await sleep(gapMs);
      const start = Date.now();
      log(`fault: ${describeFault(fault)}`);
      await lift(fault);
      const lifted = Date.now();
      const sentBefore = await ledgerTotal();
      // Back = a new one-off accepted and a new message at the carrier, both after the fault was lifted.
      await waitUntil(
        async () => seen.lastAcceptAt > lifted && (await ledgerTotal()) > sentBefore,
        `recovery from ${describeFault(fault)}`,
        300_000,
      );
      const seconds = (Date.now() - lifted) / 1000;
      recoveries.push({ fault: describeFault(fault), seconds });
      windows.push({ from: start, to: Date.now() + FAULT_GRACE_MS });
      log(`  back ${seconds.toFixed(1)} s after it was lifted (${seen.accepted.size} one-offs accepted, ${sentBefore} at the carrier)`);
    }
    streaming = false;
    await stream;
    log(`faults done; waiting for ${inFlight.size} client requests`);
    await Promise.all([...inFlight]);

    // Drain: every accepted one-off and the whole campaign final, within the bound.
    const ids = [...seen.accepted.values()];
    const drainUntil = Date.now() + DRAIN_S * 1000;
    let campaignStatus = '';
    for (;;) {
      const { rows } = await pool.query<{ status: string; pending: number; open: number; oneoffs_open: number }>(
        `select (select status from campaigns where id = $1) as status,
                (select count(*)::int from campaign_recipients where campaign_id = $1 and state = 'pending') as pending,
                (select count(*)::int from messages where campaign_id = $1 and status <> all($3)) as open,
                (select count(*)::int from messages where id = any($2::uuid[]) and status <> all($3)) as oneoffs_open`,
        [campaignId, ids, TERMINAL],
      );
      const r = rows[0]!;
      campaignStatus = r.status;
      if (r.status === 'completed' && r.open === 0 && r.oneoffs_open === 0) break;
      if (Date.now() > drainUntil) {
        log(`drain bound reached: ${JSON.stringify(r)}`);
        break;
      }
      log(
        `draining: campaign ${r.status}, ${r.pending} recipients pending, ${r.open} campaign and ${r.oneoffs_open} one-off messages open`,
      );
      await sleep(5_000);
    }

    // The check against the carrier's own record.
    const entries = await allEntries(sim.control);
    const byMessage = new Map<string, LedgerEntry[]>();
    const byNumber = new Map<string, number>();
    for (const e of entries) {
      if (e.m) byMessage.set(e.m, [...(byMessage.get(e.m) ?? []), e]);
      byNumber.set(e.to, (byNumber.get(e.to) ?? 0) + 1);
    }
    const { rows: campaignRows } = await pool.query<{ message_id: string | null }>(
      `select message_id from campaign_recipients where campaign_id = $1 and state <> 'skipped'`,
      [campaignId],
    );
    const { rows: messageRows } = await pool.query<{
      id: string;
      status: string;
      carrier: string | null;
      carrier_message_id: string | null;
    }>(`select id, status, carrier, carrier_message_id from messages where id = any($1::uuid[]) or campaign_id = $2`, [ids, campaignId]);
    const messages = new Map(messageRows.map((m) => [m.id, m]));
    /** Sent exactly once, at the carrier and under the id we stored. */
    const sentOnce = (id: string | null | undefined): boolean => {
      const m = id ? messages.get(id) : undefined;
      const at = id ? (byMessage.get(id) ?? []) : [];
      return (
        m !== undefined && ['sent', 'delivered', 'undelivered'].includes(m.status) && at.length === 1 && at[0]!.id === m.carrier_message_id
      );
    };
    const lostOneOffIds = ids.filter((id) => !sentOnce(id));
    const lostRecipientIds = campaignRows.filter((r) => !sentOnce(r.message_id)).map((r) => r.message_id);
    const lostOneOffs = lostOneOffIds.length;
    const lostRecipients = lostRecipientIds.length;
    // What a finding needs to be traced: ids, statuses and carrier entries (no bodies, no numbers).
    const describe = (id: string | null) => ({
      message: id,
      status: id ? messages.get(id)?.status : undefined,
      carrier_message_id: id ? messages.get(id)?.carrier_message_id : undefined,
      at_carrier: (id ? (byMessage.get(id) ?? []) : []).map((e) => ({ id: e.id, attempt: e.a, ambiguous: e.ambiguous, at: e.acceptedAt })),
    });
    for (const id of [...lostOneOffIds, ...lostRecipientIds].slice(0, 20)) log(`lost: ${JSON.stringify(describe(id))}`);
    for (const [to, n] of byNumber) {
      if (n < 2) continue;
      const same = entries.filter((e) => e.to === to);
      log(
        `duplicate: ${JSON.stringify({ entries: same.map((e) => ({ message: e.m, attempt: e.a, id: e.id, ambiguous: e.ambiguous, at: e.acceptedAt })) })}`,
      );
    }
    const duplicates = [...byNumber.values()].filter((n) => n > 1).length + seen.differentIds;
    const outsideFaults = seen.fiveXx.filter((e) => !windows.some((w) => e.at >= w.from && e.at <= w.to)).length;
    const crashes = processes.flatMap((p) => p.crashes.map((c) => `${p.name}: ${c.how} at ${((c.at - t0) / 1000).toFixed(0)} s`));
    const byStatus: Record<string, number> = {};
    for (const m of messageRows) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
    log(`messages by status: ${JSON.stringify(byStatus)}; carrier ledger: ${entries.length} entries`);
    log(`lost: ${lostOneOffs} one-offs, ${lostRecipients} campaign recipients (of ${campaignRows.length} eligible)`);
    log(
      `5xx answers: ${seen.fiveXx.length} (${outsideFaults} outside fault windows); process exits not caused by the bench: ${crashes.length ? crashes.join('; ') : 'none'}`,
    );
    log(`recovery: ${recoveries.map((r) => `${r.fault} ${r.seconds.toFixed(1)} s`).join(', ')}`);
    console.log(
      JSON.stringify({
        bench: 'chaos',
        seed: SEED,
        recipients: RECIPIENTS,
        accepted: ids.length,
        sent: entries.length,
        duplicates,
        lost: lostOneOffs + lostRecipients,
        client_gave_up: seen.gaveUp,
        api_5xx_outside_faults: outsideFaults,
        max_recovery_s: Number(Math.max(0, ...recoveries.map((r) => r.seconds)).toFixed(1)),
        campaign_complete: campaignStatus === 'completed' && lostRecipients === 0,
        process_crashes: crashes.length,
      }),
    );
  } finally {
    process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
