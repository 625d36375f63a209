import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { createBackgroundWorker } from '../../workers/background-worker';
import { ensureWebhookDeliveriesWorkflow } from '../../workers/webhook-deliveries-workflow';
import { WEBHOOK_DELIVERIES_WORKFLOW_ID } from '../../workflows/webhooks/webhook-deliveries';
import type { Harness } from './harness';

/** The background queue's worker and the webhook delivery workflow on the run's Temporal server; stop() terminates the workflow too. */
export async function startWebhookDelivery(h: Harness): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  const worker = await createBackgroundWorker({
    connection,
    namespace: h.config.TEMPORAL_NAMESPACE,
    deps: h.deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    temporal: h.temporal,
  });
  const running = worker.run();
  await ensureWebhookDeliveriesWorkflow(h.temporal);
  return {
    async stop() {
      await h.temporal.workflow.getHandle(WEBHOOK_DELIVERIES_WORKFLOW_ID).terminate('test over');
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * For a file that times deliveries: pending deliveries earlier files of the run left (to receivers long
 * gone) are failed first, so the file's first claims are its own, whatever ran before it.
 */
export async function startWebhookDeliveryAfresh(h: Harness): Promise<{ stop(): Promise<void> }> {
  await h.deps.pgPool.query(
    `update webhook_deliveries
        set status = 'failed', payload = null, completed_at = now(), next_attempt_at = null, last_error = 'left by an earlier test file'
      where status = 'pending'`,
  );
  return startWebhookDelivery(h);
}
