import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { signUp } from './support/accounts';
import { insertAudience, zoneAtLocalHour } from './support/audience';
import { phoneFor } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { allEntries, checkAgainstLedger } from './support/ledger-check';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/outbox';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { killHard, CRASH_TEST_SEND_ENV, spawnWorkerProcess } from './support/worker-process';

/**
 * A 50,000-recipient campaign while the worker process (campaign workflow and pages, dispatchers and
 * carrier calls) is SIGKILLed five times, under 20 % Telnyx 5xx and 5 % ambiguous sends: the
 * simulator's ledger must show every eligible recipient exactly once, and the campaign's own counts
 * (workflow query and GET /v1/campaigns/:id) must agree with it.
 */
const RECIPIENTS = 50_000;
const OPTED_OUT = 50;
const ELIGIBLE = RECIPIENTS - OPTED_OUT;
const RATE = 1000;
/** Kill points: the first while pages are still being written, the rest while messages go out. */
const KILL_AT: { counter: 'queued' | 'final'; atLeast: number }[] = [
  { counter: 'queued', atLeast: 2_000 },
  { counter: 'final', atLeast: 5_000 },
  { counter: 'final', atLeast: 15_000 },
  { counter: 'final', atLeast: 25_000 },
  { counter: 'final', atLeast: 35_000 },
];
const FINAL = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;

let sim: SimulatorProcess;
let h: Harness;
const workers: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawnWorkerProcess({
    ...sim.env(),
    ...CRASH_TEST_SEND_ENV,
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 42 });
  h = await startHarness({ env: { ...sim.env(), CAMPAIGN_MAX_RATE_PER_SENDER: String(RATE) } });
});
afterAll(async () => {
  for (const w of workers) await killHard(w);
  await h?.close();
  await sim?.stop();
});

async function counts(campaignId: string): Promise<{ queued: number; final: number }> {
  const { rows } = await h.deps.pgPool.query<{ queued: number; final: number }>(
    `select (select queued_count from campaigns where id = $1) as queued,
            (select count(*)::int from messages where campaign_id = $1 and status in ${FINAL}) as final`,
    [campaignId],
  );
  return rows[0]!;
}

describe('campaign under worker crashes and carrier faults', () => {
  it('every eligible recipient exactly once at the carriers; the progress agrees with the ledger', { timeout: 540_000 }, async () => {
    await sim.control.setFaults({
      seed: 42,
      rules: [
        { vendor: 'telnyx', op: 'send', rate: 0.2, fault: { kind: 'status', status: 503 } },
        { vendor: 'telnyx', op: 'send', rate: 0.05, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
      ],
      callbacks: { mode: 'none' },
    });
    const acct = await signUp(h.app, 'Campaign crash');
    // A number no other test file registers (sender numbers are unique across accounts).
    const from = await obtainSenderNumber(h, acct, { sim });
    const phones = Array.from({ length: RECIPIENTS }, (_, i) => phoneFor(i));
    // Mid-afternoon where every recipient is, for the whole run: quiet hours hold nobody back.
    const { listId } = await insertAudience(h.deps, acct.accountId, phones, { timezone: zoneAtLocalHour(14) });
    const optedOut = phones.filter((_, i) => i % (RECIPIENTS / OPTED_OUT) === 7);
    for (const phone of optedOut) expect((await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone })).status).toBe(201);
    const created = await request(h.app)
      .post('/v1/campaigns')
      .set(acct.auth)
      .send({ name: 'Crash', template: 'Hello {{name}}', from, audience: { listIds: [listId] }, ratePerSecond: RATE });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    let worker = spawnWorker();
    expect((await request(h.app).post(`/v1/campaigns/${id}/launch`).set(acct.auth)).status).toBe(200);
    let kills = 0;
    for (const at of KILL_AT) {
      const reached = await waitFor(
        () => counts(id),
        (c) => c[at.counter] >= at.atLeast,
        120_000,
        250,
      );
      expect(reached[at.counter], `kill ${kills + 1}: ${JSON.stringify(reached)}`).toBeGreaterThanOrEqual(at.atLeast);
      await killHard(worker);
      kills += 1;
      worker = spawnWorker();
    }
    const handle = h.temporal.workflow.getHandle(campaignWorkflowId(id));
    const result = await handle.result();

    const { rows: messages } = await h.deps.pgPool.query<{ id: string }>('select id from messages where campaign_id = $1', [id]);
    const verdict = await checkAgainstLedger(
      h.deps.pgPool,
      sim.control,
      messages.map((m) => m.id),
    );
    const ledger = (await allEntries(sim.control)).filter((e) => e.from === from);
    const perRecipient = new Map<string, number>();
    for (const e of ledger) perRecipient.set(e.to, (perRecipient.get(e.to) ?? 0) + 1);
    const eligible = phones.filter((p) => !optedOut.includes(p));
    const attempts = await h.deps.pgPool.query<{ outcome: string; n: number }>(
      `select a.outcome, count(*)::int as n from message_attempts a join messages m on m.id = a.message_id
        where m.campaign_id = $1 group by a.outcome order by a.outcome`,
      [id],
    );
    console.log(JSON.stringify({ kills, verdict, attempts: attempts.rows, ledger: ledger.length }));

    expect(kills).toBe(5);
    expect(verdict).toMatchObject({ messages: ELIGIBLE, unfinished: 0, duplicates: 0, lost: 0, phantom: 0 });
    expect(eligible.filter((p) => perRecipient.get(p) !== 1)).toEqual([]);
    expect(ledger).toHaveLength(ELIGIBLE);
    expect(optedOut.filter((p) => perRecipient.has(p))).toEqual([]);
    // The faults were met: transient failures failed over, ambiguous sends were reconciled.
    const outcomes = Object.fromEntries(attempts.rows.map((r) => [r.outcome, r.n]));
    expect(outcomes.transient).toBeGreaterThan(0);
    expect((outcomes.confirmed_sent ?? 0) + (outcomes.confirmed_not_sent ?? 0)).toBeGreaterThan(0);

    const expected = { targeted: RECIPIENTS, queued: ELIGIBLE, skipped: { opted_out: OPTED_OUT }, remaining: 0 };
    expect(result).toMatchObject({ state: 'completed', ...expected });
    expect(await handle.query<CampaignProgress>('progress')).toMatchObject({ state: 'completed', ...expected });
    const shown = await request(h.app).get(`/v1/campaigns/${id}`).set(acct.auth);
    expect(shown.body.progress).toMatchObject({ live: true, state: 'completed', ...expected });
    expect(shown.body.progress.messages).toMatchObject({ sent: ledger.length, queued: 0, sending: 0, failed: 0 });
  });
});
