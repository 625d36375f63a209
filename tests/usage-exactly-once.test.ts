import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { insertQueuedMessages } from './support/outbox';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { giveStripeCustomer, simulatorBilling, usageTotals } from './support/usage';
import { killHard, CRASH_TEST_SEND_ENV, spawnWorkerProcess } from './support/worker-process';

const PER_ACCOUNT = 300;
const KILLS = 4;
const TERMINAL = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;

let sim: SimulatorProcess;
let h: Harness;
const workers: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function spawnWorker(): ChildProcess {
  const child = spawnWorkerProcess({
    ...sim.env(),
    STRIPE_METER_ID: 'mtr_test_segments',
    // Not the billing role: its customer process (started by each sign-up) would give C a Stripe customer
    // of its own before the test does, and the test decides who has a customer when.
    WORKER_ROLES: 'messaging,usage',
    STRIPE_TIMEOUT_MS: '1000',
    USAGE_REPORT_SHARDS: '2',
    // Small passes so kills land between and inside them.
    USAGE_REPORT_BATCH_SIZE: '60',
    USAGE_REPORT_IDLE_POLL_MS: '250',
    ...CRASH_TEST_SEND_ENV,
    DISPATCH_BATCH_SIZE: '100',
  });
  workers.push(child);
  return child;
}

async function scalar(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await h.deps.pgPool.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 16 });
  h = await startHarness({ env: sim.env() });
});
afterAll(async () => {
  // The reporters run for good on the shared background queue: later files' workers (without a meter)
  // would take their tasks.
  for (let shard = 0; shard < 8; shard++) {
    await h?.temporal.workflow
      .getHandle(`usage-report:${shard}`)
      .terminate('test file over')
      .catch(() => undefined);
  }
  for (const w of workers) await killHard(w);
  await h?.close();
  await sim?.stop();
});

describe('usage reported to the Stripe meter exactly once', () => {
  it(
    'under worker SIGKILLs, 20 % Stripe 5xx and 5 % ambiguous timeouts the meter totals per customer equal the accepted segments',
    { timeout: 480_000 },
    async () => {
      await sim.control.setFaults({
        seed: 16,
        rules: [
          { vendor: 'stripe', op: 'meter_events', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
          { vendor: 'stripe', op: 'meter_events', rate: 0.2, fault: { kind: 'status', status: 503 } },
          { vendor: 'stripe', op: 'meter_events', rate: 0.03, fault: { kind: 'status', status: 429 } },
          { vendor: 'telnyx', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
        ],
        latencyMs: { telnyx: [5, 30], twilio: [5, 30] },
        callbacks: { mode: 'none' },
      });
      const billing = simulatorBilling(sim);
      const accounts = [await signUp(h.app, 'Usage A'), await signUp(h.app, 'Usage B'), await signUp(h.app, 'Usage C')];
      const customers = new Map<string, string>();
      // C has no Stripe customer yet: its usage waits and is reported once it has one.
      for (const a of accounts.slice(0, 2)) customers.set(a.accountId, await giveStripeCustomer(h.deps.pgPool, billing, a.accountId));
      const ids: string[] = [];
      for (const [n, a] of accounts.entries()) {
        ids.push(
          ...(await insertQueuedMessages(
            h.deps,
            Array.from({ length: PER_ACCOUNT }, (_, i) => ({
              accountId: a.accountId,
              from: '+14155550199',
              to: `+1415${String(6000000 + n * 1000 + i).padStart(7, '0')}`,
              body: `usage ${i}`,
            })),
          )),
        );
      }
      // 1 to 3 segments each, so a lost or doubled event shows in the sums, not only in counts.
      await h.deps.pgPool.query(`update messages set segments = 1 + (get_byte(uuid_send(id), 15) % 3) where id = any($1::uuid[])`, [ids]);

      let worker = spawnWorker();
      let kills = 0;
      const unreported = () =>
        scalar(`select count(*)::int as n from usage_events where account_id = any($1::uuid[]) and reported_at is null`, [
          accounts.map((a) => a.accountId),
        ]);
      while (kills < KILLS) {
        await sleep(5_000 + (kills % 3) * 2_500);
        await killHard(worker);
        kills += 1;
        if (kills === 2) customers.set(accounts[2]!.accountId, await giveStripeCustomer(h.deps.pgPool, billing, accounts[2]!.accountId));
        worker = spawnWorker();
      }
      const deadline = Date.now() + 360_000;
      const done = async () =>
        (await scalar(`select count(*)::int as n from messages where id = any($1::uuid[]) and status in ${TERMINAL}`, [ids])) ===
          ids.length && (await unreported()) === 0;
      while (!(await done()) && Date.now() < deadline) await sleep(1_000);

      const retried = await scalar(`select count(*)::int as n from usage_events where account_id = any($1::uuid[]) and attempts > 1`, [
        accounts.map((a) => a.accountId),
      ]);
      const totals = [];
      for (const a of accounts) totals.push(await usageTotals(h.deps.pgPool, sim, a.accountId, customers.get(a.accountId)!));
      console.log(JSON.stringify({ kills, retried, totals }));
      expect(kills).toBe(KILLS);
      // On failure, say where the unreported rows are (per account, attempts, last error, next attempt) and
      // what each reporter shard is doing: CI shows only the assertion.
      const stuck = await h.deps.pgPool.query(
        `select account_id, count(*)::int as n, max(attempts) as attempts, min(last_error) as error,
                min(next_attempt_at) as next_at, count(*) filter (where unresolved_at is not null)::int as unresolved
           from usage_events where account_id = any($1::uuid[]) and reported_at is null group by account_id`,
        [accounts.map((a) => a.accountId)],
      );
      const shards = await Promise.all(
        [0, 1].map(async (n) => {
          const d = await h.temporal.workflow
            .getHandle(`usage-report:${n}`)
            .describe()
            .catch((e: Error) => e.message);
          return typeof d === 'string' ? d : { status: d.status.name, pending: d.raw.pendingActivities?.length ?? 0 };
        }),
      );
      expect(await unreported(), JSON.stringify({ stuck: stuck.rows, shards })).toBe(0);
      for (const t of totals) {
        expect(t.accepted).toBeGreaterThan(0);
        expect(t.usage_rows).toBe(t.sent_messages);
        expect(t.usage).toBe(t.accepted);
        expect(t.meter).toBe(t.accepted);
        expect(t.meterEvents).toBe(t.usage_rows);
      }
      // The faults were met: some events needed more than one send.
      expect(retried).toBeGreaterThan(0);
      // Each event carries its row id and the acceptance time.
      const { rows } = await h.deps.pgPool.query<{ id: string; at: number; segments: number }>(
        `select id, floor(extract(epoch from accepted_at))::int as at, segments from usage_events where account_id = $1`,
        [accounts[0]!.accountId],
      );
      const events = new Map((await sim.control.meterEvents(customers.get(accounts[0]!.accountId))).map((e) => [e.identifier, e]));
      for (const r of rows) expect(events.get(r.id)).toMatchObject({ timestamp: r.at, value: String(r.segments) });
    },
  );
});
