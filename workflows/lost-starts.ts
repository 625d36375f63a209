import { proxyActivities } from '@temporalio/workflow';
import type { LostStartsActivities } from '../activities/lost-starts-activities';
import type { LostStartsSwept } from '../services/lost-process-starts';

const { startLostProcesses } = proxyActivities<LostStartsActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * Run every few minutes by a Schedule: starts the processes of requests whose start was lost (an API
 * process killed between its commit and the workflow start). Ids only in its result.
 */
export async function lostStartsWorkflow(): Promise<LostStartsSwept> {
  return startLostProcesses();
}
