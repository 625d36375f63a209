import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WebhookDeliveryActivities } from '../../activities/webhooks/webhook-delivery-activities';
import { continueOnBackgroundQueue } from '../continue-on-background-queue';

export const WEBHOOK_DELIVERIES_WORKFLOW_ID = 'webhook-deliveries';
/** Rounds (about 10 s each) per run before continuing as new, so the history stays small. */
export const WEBHOOK_ROUNDS_PER_RUN = 200;

const { runWebhookDeliveryRound } = proxyActivities<WebhookDeliveryActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // The database or a worker may be away for a while; deliveries wait in their table, nothing is lost.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Carried across continue-as-new: totals since the workflow first started (counts only). */
export interface WebhookDeliveriesState {
  runs: number;
  delivered: number;
  retried: number;
  failed: number;
  disabledEndpoints: number;
}

export interface WebhookDeliveriesProgress extends WebhookDeliveriesState {
  roundsThisRun: number;
}

export const webhookDeliveriesProgressQuery = defineQuery<WebhookDeliveriesProgress>('webhookDeliveriesProgress');

const FIRST_RUN: WebhookDeliveriesState = { runs: 0, delivered: 0, retried: 0, failed: 0, disabledEndpoints: 0 };

/**
 * Runs for good (started idempotently by the worker): each round drains due customer-webhook
 * deliveries; retries are rows with a next_attempt_at, not timers, so the backoff schedule lives in
 * the database and survives any restart.
 */
export async function webhookDeliveriesWorkflow(state: WebhookDeliveriesState = FIRST_RUN): Promise<never> {
  const totals = { ...state, runs: state.runs + 1 };
  let roundsThisRun = 0;
  setHandler(webhookDeliveriesProgressQuery, () => ({ ...totals, roundsThisRun }));
  while (roundsThisRun < WEBHOOK_ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    const round = await runWebhookDeliveryRound();
    roundsThisRun++;
    totals.delivered += round.delivered;
    totals.retried += round.retrying;
    totals.failed += round.failed;
    totals.disabledEndpoints += round.disabledEndpoints;
  }
  return continueOnBackgroundQueue<typeof webhookDeliveriesWorkflow>(totals);
}
