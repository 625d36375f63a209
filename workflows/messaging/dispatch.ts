import {
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MessagingActivities } from '../../activities/messaging';
import type { ClaimBatchResult, SendBatchResult } from '../../activities/messaging/dispatch-types';
import type { CarrierId } from '../../providers/sms/carrier';
import { NO_DISPATCH_PROGRESS, type DispatchProgress } from './dispatch-progress';
import { dispatchDetails } from '../process-details';

/**
 * A dispatcher shard (`dispatch:<n>`): drains the outbox in batches until it is retired. Each iteration
 * reconciles parked ambiguous attempts that are due, claims a batch, routes every message to its
 * first available carrier and sends per carrier; the transient subset goes to the next carrier in
 * the next activity call, so every failover decision is an event in this history.
 */

/** Longest an idle claim waits inside its activity for work. */
export const IDLE_CLAIM_WAIT_MS = 5_000;
/** Iterations per run before continuing as new (earlier if the server suggests it). */
export const ITERATIONS_PER_RUN = 200;
/** Parked attempts not yet due are still checked this often, so receipts settle them early. */
export const RECHECK_PARKED_EVERY = 10;

export const dispatchWorkflowId = (shard: number) => `dispatch:${shard}`;
/** The shard a dispatcher's workflow id names, or null for any other id. */
export const dispatchShardOf = (workflowId: string): number | null => {
  const match = /^dispatch:(\d+)$/.exec(workflowId);
  return match ? Number(match[1]) : null;
};
export const dispatchProgressQuery = defineQuery<DispatchProgress>('progress');
/**
 * `true` retires the shard (DISPATCH_SHARDS was lowered): it claims nothing new, settles the ambiguous
 * attempts it parked (they are its alone) and completes. `false` (sent with every start) keeps it on.
 */
export const retireDispatchSignal = defineSignal<[boolean]>('retire');

/** An ambiguous attempt waiting for a receipt or a lookup; ids and carrier names only. */
export interface ParkedMessage {
  messageId: string;
  attemptId: string;
  claimToken: string;
  /** Carriers still allowed after the one that was tried. */
  remaining: CarrierId[];
  /** Epoch ms of the next reconciliation. */
  checkAt: number;
}

export interface DispatchInput {
  shard: number;
  /** Messages claimed per iteration (DISPATCH_BATCH_SIZE). */
  batchSize: number;
  /** Messages a half-open carrier's probe may carry. */
  probeSize: number;
  carry?: { progress: DispatchProgress; parked: ParkedMessage[]; retired?: boolean };
}

interface Work {
  messageId: string;
  claimToken: string;
  remaining: CarrierId[];
}

const { claimBatch } = proxyActivities<MessagingActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});
const { sendBatch } = proxyActivities<MessagingActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});
const { reconcileAmbiguous, requeueUnsent } = proxyActivities<MessagingActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

export async function dispatchWorkflow(input: DispatchInput): Promise<DispatchProgress> {
  const progress: DispatchProgress = { ...(input.carry?.progress ?? NO_DISPATCH_PROGRESS) };
  let parked: ParkedMessage[] = input.carry?.parked ?? [];
  let retired = input.carry?.retired ?? false;
  setHandler(dispatchProgressQuery, () => ({ ...progress, parked: parked.length }));
  setHandler(retireDispatchSignal, (retire) => {
    retired = retire;
  });
  const { workflowId, runId } = workflowInfo();

  /** Ambiguous attempts first: only a proven non-send returns a message to the carrier list. */
  async function reconcileParked(iteration: number): Promise<Work[]> {
    const now = Date.now();
    const checkAll = iteration % RECHECK_PARKED_EVERY === 0;
    const toCheck = parked.filter((p) => checkAll || p.checkAt <= now);
    if (toCheck.length === 0) return [];
    const verdict = await reconcileAmbiguous({ attemptIds: toCheck.map((p) => p.attemptId) });
    const done = new Set([...verdict.sent, ...verdict.settled, ...verdict.notSent]);
    const failover = parked.filter((p) => verdict.notSent.includes(p.attemptId));
    progress.sent += verdict.sent.length;
    progress.failed += verdict.settled.length;
    progress.failedOver += failover.length;
    const waiting = new Set(verdict.waiting);
    parked = parked
      .filter((p) => !done.has(p.attemptId))
      .map((p) => (waiting.has(p.attemptId) && p.checkAt <= now ? { ...p, checkAt: verdict.nextCheckAt ?? now + IDLE_CLAIM_WAIT_MS } : p));
    return failover.map((p) => ({ messageId: p.messageId, claimToken: p.claimToken, remaining: p.remaining }));
  }

  function record(result: SendBatchResult, batch: Work[], next: Work[]): void {
    progress.sent += result.sent.length;
    progress.failed += result.failed.reduce((n, f) => n + f.ids.length, 0);
    progress.suppressed += result.suppressed.length;
    progress.lost += result.lost.length;
    const byId = new Map(batch.map((w) => [w.messageId, w]));
    const after = (w: Work) => w.remaining.filter((c) => c !== result.carrier);
    for (const id of result.transient) {
      const w = byId.get(id)!;
      next.push({ ...w, remaining: after(w) });
      progress.failedOver += 1;
    }
    for (const a of result.ambiguous) {
      const w = byId.get(a.messageId)!;
      parked.push({ ...a, claimToken: w.claimToken, remaining: after(w), checkAt: result.reconcileAt ?? Date.now() });
      progress.ambiguous += 1;
    }
  }

  /** Sends in rounds: each round is one activity per (claim, carrier); what failed transiently moves on. */
  async function sendRounds(initial: Work[], availability: ClaimBatchResult['availability']): Promise<void> {
    const probeBudget: Partial<Record<CarrierId, number>> = {};
    for (const [carrier, state] of Object.entries(availability)) if (state === 'probe') probeBudget[carrier as CarrierId] = input.probeSize;
    const pick = (remaining: CarrierId[]): CarrierId | undefined =>
      remaining.find((c) => {
        if (availability[c] === 'closed') return true;
        if (availability[c] !== 'probe' || !probeBudget[c]) return false;
        probeBudget[c] -= 1;
        return true;
      });

    const unsent = new Map<string, string[]>();
    let work = initial;
    while (work.length > 0) {
      const batches = new Map<string, { claimToken: string; carrier: CarrierId; items: Work[] }>();
      for (const w of work) {
        const carrier = pick(w.remaining);
        if (!carrier) {
          unsent.set(w.claimToken, [...(unsent.get(w.claimToken) ?? []), w.messageId]);
          continue;
        }
        const key = `${w.claimToken}|${carrier}`;
        const batch = batches.get(key) ?? { claimToken: w.claimToken, carrier, items: [] };
        batch.items.push(w);
        batches.set(key, batch);
      }
      const next: Work[] = [];
      const sends = [...batches.values()];
      const results = await Promise.all(
        sends.map((b) =>
          sendBatch({
            claimToken: b.claimToken,
            sendId: `${b.claimToken}:${b.carrier}`,
            carrier: b.carrier,
            messageIds: b.items.map((w) => w.messageId),
          }),
        ),
      );
      results.forEach((result, i) => record(result, sends[i]!.items, next));
      work = next;
    }
    for (const [claimToken, messageIds] of unsent) {
      const r = await requeueUnsent({ claimToken, messageIds });
      progress.requeued += r.queued;
      progress.failed += r.failed;
    }
  }

  for (let iteration = 0; ; iteration++) {
    if (iteration >= ITERATIONS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof dispatchWorkflow>({ ...input, carry: { progress, parked, retired } });
    }
    if (retired && parked.length === 0) return progress;
    progress.iterations += 1;
    const work = await reconcileParked(iteration);
    const claimToken = `${workflowId}:${runId}:${iteration}`;
    const nextCheck = parked.reduce((earliest, p) => Math.min(earliest, p.checkAt), Infinity);
    const waitMs = work.length > 0 ? 0 : Math.max(0, Math.min(IDLE_CLAIM_WAIT_MS, nextCheck - Date.now()));
    // A retired shard still sends what its parked attempts hand back (proven unsent), nothing new.
    const claim = await claimBatch({ claimToken, max: retired ? 0 : input.batchSize, waitMs });
    for (const route of claim.routes) {
      progress.claimed += route.ids.length;
      for (const messageId of route.ids) work.push({ messageId, claimToken, remaining: route.carriers });
    }
    await sendRounds(work, claim.availability);
    setCurrentDetails(dispatchDetails(workflowId, progress, parked.length));
  }
}
