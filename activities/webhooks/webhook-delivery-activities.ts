import { Context } from '@temporalio/activity';
import { createEmailSender } from '../../providers/email/registry';
import type { ServiceDeps } from '../../services/deps';
import { WebhookDeliveryRunner, type DrainResult } from '../../services/webhooks/webhook-delivery-runner';

/** One activity call drains for about this long, so the workflow's history grows by a few events per round, not per batch. */
export const WEBHOOK_ROUND_MS = 10_000;
/** How soon a newly published event is picked up when nothing was due. */
export const WEBHOOK_IDLE_POLL_MS = 250;

export interface WebhookRoundResult extends DrainResult {
  notified: number;
}

export function createWebhookDeliveryActivities(
  deps: Pick<ServiceDeps, 'orm' | 'keyring' | 'logger' | 'config'>,
  runner = new WebhookDeliveryRunner({
    orm: deps.orm,
    keyring: deps.keyring,
    logger: deps.logger,
    policy: { allowLoopback: deps.config.WEBHOOKS_ALLOW_LOOPBACK, dnsServers: deps.config.WEBHOOK_DNS_SERVERS },
    email: createEmailSender(deps.config),
  }),
) {
  return {
    /** Counts only in heartbeats and the result: no URL, payload or secret reaches the history. */
    async runWebhookDeliveryRound(): Promise<WebhookRoundResult> {
      const ctx = Context.current();
      const total: WebhookRoundResult = { claimed: 0, delivered: 0, retrying: 0, failed: 0, disabledEndpoints: 0, notified: 0 };
      const until = Date.now() + WEBHOOK_ROUND_MS;
      total.notified += await runner.notifyDisabledEndpoints();
      while (Date.now() < until) {
        ctx.heartbeat(total);
        const batch = await runner.drainOnce(ctx.cancellationSignal);
        total.claimed += batch.claimed;
        total.delivered += batch.delivered;
        total.retrying += batch.retrying;
        total.failed += batch.failed;
        total.disabledEndpoints += batch.disabledEndpoints;
        if (batch.disabledEndpoints > 0) total.notified += await runner.notifyDisabledEndpoints();
        if (batch.claimed === 0) await ctx.sleep(WEBHOOK_IDLE_POLL_MS);
      }
      return total;
    },
  };
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDeliveryActivities>;
