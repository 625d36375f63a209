import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { checkAgainstLedger } from './support/ledger-check';
import { insertQueuedMessages } from './support/outbox';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { CRASH_TEST_SEND_ENV, spawnWorkerProcess } from './support/worker-process';

const MESSAGES = 2_000;
const KILLS = 6;
const TERMINAL = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;

let sim: SimulatorProcess;
let h: Harness;
const workers: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawnWorkerProcess({
    ...sim.env(),
    ...CRASH_TEST_SEND_ENV,
    // Smaller batches than production so some finish between kills and the carrier faults show too.
    DISPATCH_BATCH_SIZE: '100',
  });
  workers.push(child);
  return child;
}

async function count(where: string, ids: string[]): Promise<number> {
  const { rows } = await h.deps.pgPool.query<{ n: number }>(
    `select count(*)::int as n from messages where id = any($1::uuid[]) and ${where}`,
    [ids],
  );
  return rows[0]!.n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 42 });
  h = await startHarness({ env: sim.env() });
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await h?.close();
  await sim?.stop();
});

describe('worker SIGKILLed repeatedly while messages are in flight under carrier faults', () => {
  it('every message ends terminal, none twice at a carrier, none lost', { timeout: 420_000 }, async () => {
    await sim.control.setFaults({
      seed: 42,
      rules: [
        { vendor: 'telnyx', op: 'send', rate: 0.2, fault: { kind: 'status', status: 503 } },
        { vendor: 'telnyx', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
        { vendor: 'twilio', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'reset', callback: false } },
      ],
      // Latency keeps batches in flight long enough for the kills to land mid-send.
      latencyMs: { telnyx: [5, 40], twilio: [5, 40] },
      callbacks: { mode: 'none' },
    });
    const acct = await signUp(h.app, 'Crash');
    const ids = await insertQueuedMessages(
      h.deps,
      Array.from({ length: MESSAGES }, (_, i) => ({
        accountId: acct.accountId,
        from: '+14155550199',
        to: `+1415${String(5000000 + i).padStart(7, '0')}`,
        body: `crash test ${i}`,
      })),
    );

    let worker = spawnWorker();
    let kills = 0;
    while (kills < KILLS && (await count(`status in ${TERMINAL}`, ids)) < MESSAGES) {
      // Let the worker start, claim and get calls in flight, then kill it mid-batch.
      await sleep(6_000 + (kills % 3) * 2_000);
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
      kills += 1;
      worker = spawnWorker();
    }
    const deadline = Date.now() + 300_000;
    while ((await count(`status in ${TERMINAL}`, ids)) < MESSAGES && Date.now() < deadline) await sleep(1_000);

    const attempts = await h.deps.pgPool.query<{ carrier: string; outcome: string; error_code: string | null; n: number }>(
      `select carrier, outcome, error_code, count(*)::int as n from message_attempts where message_id = any($1::uuid[])
        group by carrier, outcome, error_code order by carrier, outcome, error_code`,
      [ids],
    );
    const verdict = await checkAgainstLedger(h.deps.pgPool, sim.control, ids);
    console.log(JSON.stringify({ kills, verdict, attempts: attempts.rows }));
    expect(kills).toBe(KILLS);
    expect(verdict).toMatchObject({ messages: MESSAGES, unfinished: 0, duplicates: 0, lost: 0, phantom: 0 });
    // Faults were exercised: some failed over, some were ambiguous and reconciled.
    const outcomes: Record<string, number> = {};
    for (const r of attempts.rows) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + r.n;
    expect(outcomes.transient).toBeGreaterThan(0);
    expect((outcomes.confirmed_sent ?? 0) + (outcomes.confirmed_not_sent ?? 0)).toBeGreaterThan(0);
  });
});
