import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../lib/ids';
import { DEFAULT_USAGE_REPORT_SETTINGS } from '../services/billing/usage-reporter';
import { usageReporterProgressQuery, usageReporterWorkflow } from '../workflows/billing/usage-reporter';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { waitFor } from './support/outbox';
import { startTimeSkipping, timeSkippingWorker } from './support/time-skipping';
import { giveStripeCustomer, simulatorBilling, usageActivitiesFor, usageShardOf } from './support/usage';

/**
 * Stripe unreachable (every meter event times out after it may have been counted, or answers 503)
 * for longer than its 24-hour identifier dedupe: the reporter must not resend blindly. Past the
 * window it reads Stripe's totals per customer and minute, marks what was counted, resends the rest
 * under a new identifier, and leaves a minute it cannot decide to an operator.
 */
const HOUR = 3_600_000;
const WINDOW_MS = DEFAULT_USAGE_REPORT_SETTINGS.dedupeWindowMs;
const MAX_BACKOFF_MS = 6 * HOUR;
const TASK_QUEUE = 'usage-reconciliation';
const SHARDS = 64;

let env: TestWorkflowEnvironment;
let sim: SimulatorProcess;
let h: Harness;

beforeAll(async () => {
  env = await startTimeSkipping();
  sim = await startSimulatorProcess({ seed: 24 });
  h = await startHarness({ env: sim.env() });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
  await env?.teardown();
});

interface Row {
  id: string;
  segments: number;
  minute: number;
}

describe('usage whose meter events stayed in doubt past the 24-hour dedupe window', () => {
  it('is reconciled against the meter totals at the window, never resent blindly, and counted once', { timeout: 300_000 }, async () => {
    expect(WINDOW_MS).toBe(23 * HOUR);
    const account = await signUp(h.app, 'Reconcile');
    const billing = simulatorBilling(sim, 500);
    const customer = await giveStripeCustomer(h.deps.pgPool, billing, account.accountId);
    const base = Math.floor((Date.now() - 3 * HOUR) / 60_000) * 60_000;
    // Twelve minutes with one row each (a total there names its row), one with 1 + 2 segments (any
    // total names its rows) and one with 1 + 1 (a total of 1 could be either: left to an operator).
    const rows: Row[] = [
      ...Array.from({ length: 12 }, (_, i) => ({ id: uuidv7(), segments: 1 + (i % 3), minute: i })),
      { id: uuidv7(), segments: 1, minute: 20 },
      { id: uuidv7(), segments: 2, minute: 20 },
      { id: uuidv7(), segments: 1, minute: 21 },
      { id: uuidv7(), segments: 1, minute: 21 },
    ];
    await h.deps.pgPool.query(
      `insert into usage_events (id, message_id, account_id, sender, segments, accepted_at, next_attempt_at)
       select r.id, gen_random_uuid(), $1, '+14155550199', r.segments, r.at, r.at
         from unnest($2::uuid[], $3::int[], $4::timestamptz[]) as r(id, segments, at)`,
      [account.accountId, rows.map((r) => r.id), rows.map((r) => r.segments), rows.map((r) => new Date(base + r.minute * 60_000 + 7_000))],
    );
    await sim.control.setFaults({
      seed: 24,
      rules: [
        { vendor: 'stripe', op: 'meter_events', rate: 0.2, fault: { kind: 'ambiguous', mode: 'timeout', callback: false } },
        { vendor: 'stripe', op: 'meter_events', rate: 1, fault: { kind: 'status', status: 503 } },
      ],
    });

    const activities = usageActivitiesFor(h.deps, billing, {
      meterId: 'mtr_test_segments',
      // One event per stream request: each row draws its own fault, so some land and some do not.
      chunkSize: 1,
      // Of the rows earlier test files left unreported, only this account's shard's come along.
      shards: SHARDS,
      baseBackoffMs: HOUR,
      maxBackoffMs: MAX_BACKOFF_MS,
    });
    const worker = await timeSkippingWorker(env, TASK_QUEUE, activities);
    const state = async () =>
      (
        await h.deps.pgPool.query<{
          id: string;
          first_attempt_at: Date | null;
          reported_at: Date | null;
          reconciled_at: Date | null;
          unresolved_at: Date | null;
          identifier_round: number;
        }>(
          `select id, first_attempt_at, reported_at, reconciled_at, unresolved_at, identifier_round from usage_events where account_id = $1`,
          [account.accountId],
        )
      ).rows;
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(usageReporterWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: `usage-report-test-${account.accountId}`,
        args: [{ shard: await usageShardOf(h.deps.pgPool, account.accountId, SHARDS), idlePollMs: MAX_BACKOFF_MS }],
      });
      // The first pass sends every row once (all fail or time out): the window opens there.
      const firstPass = await waitFor(state, (s) => s.every((r) => r.first_attempt_at !== null), 60_000);
      const opened = new Map(firstPass.map((r) => [r.id, r.first_attempt_at!.getTime()]));

      // An hour before the window ends nothing is reconciled, counted or resent.
      await env.sleep(WINDOW_MS - HOUR);
      const before = await state();
      expect(before.filter((r) => r.reconciled_at || r.reported_at || r.unresolved_at || r.identifier_round > 0)).toEqual([]);

      // Past the window (plus the longest backoff): every row was reconciled, at or after its window's end.
      await env.sleep(HOUR + MAX_BACKOFF_MS);
      // The pass the skip started runs in real time: wait for it to have decided every row.
      const after = await waitFor(state, (s) => s.every((r) => (r.reconciled_at ?? r.unresolved_at) !== null), 60_000);
      const landed = new Set((await sim.control.meterEvents(customer)).map((e) => e.identifier));
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const r of after) {
        const row = byId.get(r.id)!;
        // Decided (reconciled or left unresolved), not resent blindly under its first identifier.
        expect(r.reconciled_at ?? r.unresolved_at, `row ${r.id} decided`).not.toBeNull();
        const decidedAt = (r.reconciled_at ?? r.unresolved_at)!.getTime();
        expect(decidedAt).toBeGreaterThanOrEqual(opened.get(r.id)! + WINDOW_MS);
        expect(decidedAt).toBeLessThanOrEqual(opened.get(r.id)! + WINDOW_MS + MAX_BACKOFF_MS);
        if (row.minute === 21) continue;
        if (landed.has(r.id)) expect(r).toMatchObject({ identifier_round: 0, reported_at: r.reconciled_at });
        else expect(r).toMatchObject({ identifier_round: 1 });
      }
      const pair = rows.filter((r) => r.minute === 21).map((r) => landed.has(r.id));
      const pairRows = after.filter((r) => byId.get(r.id)!.minute === 21);
      if (pair[0] !== pair[1]) for (const r of pairRows) expect(r.unresolved_at).not.toBeNull();
      else for (const r of pairRows) expect(r.unresolved_at).toBeNull();
      const progress = await handle.query(usageReporterProgressQuery);
      expect(progress.reconciledCounted).toBeGreaterThan(0);
      expect(progress.reconciledResent).toBeGreaterThan(0);

      // Stripe is back: the rows never counted are sent again and counted once.
      await sim.control.setFaults({});
      await env.sleep(MAX_BACKOFF_MS + HOUR);
      const final = await waitFor(state, (s) => s.every((r) => r.unresolved_at !== null || r.reported_at !== null), 60_000);
      const events = await sim.control.meterEvents(customer);
      const identifiers = new Set(events.map((e) => e.identifier));
      for (const r of final) {
        if (r.unresolved_at) continue;
        expect(r.reported_at).not.toBeNull();
        // Counted under exactly one identifier: the first or the resend's.
        expect([identifiers.has(r.id), identifiers.has(`${r.id}.r1`)].filter(Boolean)).toHaveLength(1);
      }
      const counted = final.filter((r) => !r.unresolved_at).reduce((sum, r) => sum + byId.get(r.id)!.segments, 0);
      const unresolvedLanded = final
        .filter((r) => r.unresolved_at && identifiers.has(r.id))
        .reduce((s, r) => s + byId.get(r.id)!.segments, 0);
      expect(events.reduce((sum, e) => sum + Number(e.value), 0)).toBe(counted + unresolvedLanded);
      await handle.terminate('test done');
    });
  });
});
