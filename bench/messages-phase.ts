/**
 * bench:messages runs in phases, one module each, against the same API, worker, simulator and
 * account: a phase gets this context and returns the fields it adds to the result line. To add
 * one, write its module and append it to the list in bench/messages.ts.
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import type { ServiceDeps } from '../services/deps';
import type { SimulatorProcess } from '../tests/support/simulator-process';
import type { ApiCaller } from './bench-kit';

export interface MessagesBenchContext {
  http: ApiCaller;
  apiBaseUrl: string;
  auth: Record<string, string>;
  accountId: string;
  /** The sender number the account ordered, and the recipient of the i-th message of a phase. */
  from: string;
  numberFor: (i: number) => string;
  deps: ServiceDeps;
  temporal: Client;
  sim: SimulatorProcess;
  api: ChildProcess;
  worker: ChildProcess;
  /** Fields earlier phases returned (e.g. `msgs_per_s` for a phase that runs at a fraction of it). */
  measured: Record<string, unknown>;
  /** Every message a phase created goes here: the ledger check at the end covers them all. */
  messageIds: string[];
  log: (msg: string) => void;
}

export interface MessagesBenchPhase {
  name: string;
  run(ctx: MessagesBenchContext): Promise<Record<string, unknown>>;
}

export const TERMINAL_STATUSES = `('sent', 'delivered', 'undelivered', 'failed', 'suppressed')`;

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Waits until every message in the database is in a terminal status, logging progress each second. */
export async function drained(ctx: MessagesBenchContext, started: number): Promise<void> {
  let done = -1;
  for (;;) {
    const { rows } = await ctx.deps.pgPool.query<{ n: number; total: number }>(
      `select count(*) filter (where status in ${TERMINAL_STATUSES})::int as n, count(*)::int as total from messages`,
    );
    const { n, total } = rows[0]!;
    if (n !== done) ctx.log(`${n} / ${total} done (${Math.round(n / ((performance.now() - started) / 1000))} msg/s)`);
    done = n;
    if (n >= total) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
