import { defineQuery, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { UsageActivities } from '../../activities/billing/usage-activities';
import { continueOnBackgroundQueue } from '../continue-on-background-queue';

/**
 * A usage reporter shard (`usage-report:<n>`): sends the Stripe meter events of its accounts' usage
 * rows. Retries and their backoff live in the rows (next_attempt_at), not in timers, so a crash or a
 * restart loses nothing; the workflow only paces the passes and passes its clock to the activity
 * (the dedupe window is measured on it, so a time-skipping test reaches the 24-hour path).
 */

/** Passes per run before continuing as new (earlier if the server suggests it). */
export const USAGE_PASSES_PER_RUN = 200;

export const usageReporterWorkflowId = (shard: number) => `usage-report:${shard}`;
export const usageReporterShardOf = (workflowId: string): number | null => {
  const match = /^usage-report:(\d+)$/.exec(workflowId);
  return match ? Number(match[1]) : null;
};

export interface UsageReporterProgress {
  runs: number;
  passes: number;
  reported: number;
  retried: number;
  reconciledCounted: number;
  reconciledResent: number;
  unresolved: number;
  /** Spend alerts raised (50/80/100 % of a cap). */
  alerts: number;
}

export const usageReporterProgressQuery = defineQuery<UsageReporterProgress>('usageReporterProgress');

export interface UsageReporterInput {
  shard: number;
  /** Longest wait between passes while nothing is due (new usage rows are found on the next pass). */
  idlePollMs: number;
  carry?: UsageReporterProgress;
}

const NO_PROGRESS: UsageReporterProgress = {
  runs: 0,
  passes: 0,
  reported: 0,
  retried: 0,
  reconciledCounted: 0,
  reconciledResent: 0,
  unresolved: 0,
  alerts: 0,
};

const { reportUsage, alertSpendThresholds } = proxyActivities<UsageActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function usageReporterWorkflow(input: UsageReporterInput): Promise<never> {
  const progress: UsageReporterProgress = { ...(input.carry ?? NO_PROGRESS) };
  progress.runs += 1;
  setHandler(usageReporterProgressQuery, () => ({ ...progress }));
  for (let pass = 0; pass < USAGE_PASSES_PER_RUN && !workflowInfo().continueAsNewSuggested; pass++) {
    const result = await reportUsage({ shard: input.shard, nowMs: Date.now() });
    progress.passes += 1;
    progress.reported += result.reported;
    progress.retried += result.retried;
    progress.reconciledCounted += result.reconciledCounted;
    progress.reconciledResent += result.reconciledResent;
    progress.unresolved += result.unresolved;
    progress.alerts += await alertSpendThresholds({ shard: input.shard, nowMs: Date.now() });
    const now = Date.now();
    let wait = result.nextDueAt === null ? input.idlePollMs : Math.min(input.idlePollMs, Math.max(0, result.nextDueAt - now));
    // Due rows but none claimed: another run holds them (a retried activity); don't spin.
    if (result.claimed === 0) wait = Math.max(wait, Math.min(input.idlePollMs, 1_000));
    if (wait > 0) await sleep(wait);
  }
  return continueOnBackgroundQueue<typeof usageReporterWorkflow>({ ...input, carry: progress });
}
