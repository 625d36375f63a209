import { Context } from '@temporalio/activity';
import { createEmailSender } from '../../providers/email/registry';
import type { ServiceDeps } from '../../services/deps';
import { WebhookDeliveryRunner, type DrainResult } from '../../services/webhooks/webhook-delivery-runner';

/** One activity call drains for about this long, so the workflow's history grows by a few events per round, not per batch. */
export const WEBHOOK_ROUND_MS = 10_000;

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
    /**
     * One round of the refilling delivery pool (WebhookDeliveryRunner.runRound). Heartbeats come from
     * inside the round, while deliveries are in flight; counts only in heartbeats and the result: no
     * URL, payload or secret reaches the history.
     */
    async runWebhookDeliveryRound(): Promise<WebhookRoundResult> {
      const ctx = Context.current();
      let notified = await runner.notifyDisabledEndpoints();
      const round = await runner.runRound(Date.now() + WEBHOOK_ROUND_MS, ctx.cancellationSignal, (progress) =>
        ctx.heartbeat({ ...progress, notified }),
      );
      if (round.disabledEndpoints > 0) notified += await runner.notifyDisabledEndpoints();
      return { ...round, notified };
    },
  };
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDeliveryActivities>;
