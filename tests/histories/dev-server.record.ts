import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../workers/task-queues';
import { auditAnchorWorkflow } from '../../workflows/audit-anchor';
import { campaignWorkflowId } from '../../workflows/campaigns/campaign';
import type { CampaignProgress } from '../../workflows/campaigns/campaign-progress';
import { retentionWorkflow } from '../../workflows/lifecycle/retention';
import { importWorkflowId } from '../../workflows/import-contacts';
import { dispatchWorkflowId } from '../../workflows/messaging/dispatch';
import { purgeIdempotencyKeysWorkflow } from '../../workflows/purge-idempotency-keys';
import { WEBHOOK_DELIVERIES_WORKFLOW_ID } from '../../workflows/webhooks/webhook-deliveries';
import { signUp } from '../support/accounts';
import { csvOf } from '../support/csv';
import { saveHistory } from '../support/histories';
import { importAndWait } from '../support/imports';
import { startBackgroundWorker } from '../support/bundled-worker';
import { freshPhone } from '../support/messaging';
import { obtainSenderNumber } from '../support/sender-numbers';
import { waitFor } from '../support/outbox';
import { WebhookReceiver } from '../support/webhook-receiver';
import { startWebhookDelivery } from '../support/webhook-worker';
import { startWebhookStack, type WebhookStack } from '../support/webhook-stack';

/**
 * Records, on the dev server with the real workers and simulator, one history of each workflow the
 * send path and housekeeping run: an import, a one-off message through a dispatcher shard with its
 * status webhook delivered, a campaign paused and resumed to completion, and the three maintenance runs.
 */
let stack: WebhookStack;
let receiver: WebhookReceiver;
let delivery: { stop(): Promise<void> } | undefined;
let maintenance: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  stack = await startWebhookStack({ worker: true, messaging: true, env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  receiver = await new WebhookReceiver().start();
  delivery = await startWebhookDelivery(stack.h);
  maintenance = await startBackgroundWorker(stack.h);
});
afterAll(async () => {
  await maintenance?.stop();
  await delivery?.stop().catch(() => undefined);
  await receiver?.stop();
  await stack?.close();
});

it('records the import, dispatch, webhook delivery, campaign and maintenance histories', async () => {
  const { h } = stack;
  const api = () => request(h.app);
  const acct = await signUp(h.app, 'Recorded');
  const from = await obtainSenderNumber(h, acct, { sim: stack.sim });
  const hook = await api()
    .post('/v1/webhook-endpoints')
    .set(acct.auth)
    .send({ url: receiver.url('/hooks'), eventTypes: ['message.status', 'campaign.started', 'campaign.paused', 'campaign.completed'] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);

  const rows = Array.from({ length: 24 }, (_, i) => [freshPhone(), `Guest ${i}`]);
  const imported = await importAndWait(h.app, h.temporal, acct.auth, csvOf(['phone', 'name'], [...rows, ['not a phone', 'Bad row']]));
  expect(imported.result).toMatchObject({ status: 'completed', created: 24, invalid: 1 });

  const sent = await api().post('/v1/messages').set(acct.auth).send({ to: rows[0]![0], from, body: 'your order shipped' });
  expect(sent.status, JSON.stringify(sent.body)).toBe(202);
  await waitFor(
    async () =>
      (
        await api()
          .get(`/v1/messages/${sent.body.id as string}`)
          .set(acct.auth)
      ).body.status as string,
    (status) => status === 'delivered',
    30_000,
  );
  await waitFor(
    () => Promise.resolve(receiver.on('/hooks').length),
    (n) => n > 0,
    30_000,
  );

  const contacts = await api().get('/v1/contacts').query({ limit: 100 }).set(acct.auth);
  const list = await api().post('/v1/lists').set(acct.auth).send({ name: 'Recorded' });
  const contactIds = (contacts.body.data as { id: string }[]).map((c) => c.id);
  expect(
    (
      await api()
        .post(`/v1/lists/${list.body.id as string}/contacts`)
        .set(acct.auth)
        .send({ contactIds })
    ).status,
  ).toBe(200);
  const draft = await api()
    .post('/v1/campaigns')
    .set(acct.auth)
    .send({ name: 'Recorded', template: 'Hi {{name | "friend"}}', from, ratePerSecond: 4, audience: { listIds: [list.body.id] } });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const campaignId = draft.body.id as string;
  const campaign = h.temporal.workflow.getHandle(campaignWorkflowId(campaignId));
  expect((await api().post(`/v1/campaigns/${campaignId}/launch`).set(acct.auth)).status).toBe(200);
  await waitFor(
    () => campaign.query<CampaignProgress>('progress'),
    (p) => p.queued >= 4,
    30_000,
  );
  expect((await api().post(`/v1/campaigns/${campaignId}/pause`).set(acct.auth)).status).toBe(200);
  expect((await api().post(`/v1/campaigns/${campaignId}/resume`).set(acct.auth)).status).toBe(200);
  expect(await campaign.result()).toMatchObject({ state: 'completed', queued: 24 });

  const maintenanceRuns = [
    [purgeIdempotencyKeysWorkflow, 'purge'],
    [auditAnchorWorkflow, 'anchor'],
    [retentionWorkflow, 'daily'],
  ] as const;
  for (const [workflow, name] of maintenanceRuns) {
    const workflowId = `record-${workflow.name}-${Date.now()}`;
    await h.temporal.workflow.execute(workflow, { taskQueue: TASK_QUEUES.maintenance, workflowId });
    await saveHistory(h.temporal, workflowId, name);
  }
  await saveHistory(h.temporal, importWorkflowId(imported.id), 'csv-with-a-bad-row');
  await saveHistory(h.temporal, campaignWorkflowId(campaignId), 'paused-resumed-completed');

  // The long-running loops end here (as at a deploy), so their histories are complete.
  await delivery!.stop();
  delivery = undefined;
  await saveHistory(h.temporal, WEBHOOK_DELIVERIES_WORKFLOW_ID, 'status-and-campaign-events');
  let busiest = { shard: -1, events: 0 };
  for (let shard = 0; shard < h.config.DISPATCH_SHARDS; shard++) {
    const handle = h.temporal.workflow.getHandle(dispatchWorkflowId(shard));
    await handle.terminate('histories recorded');
    const events = (await handle.fetchHistory()).events?.length ?? 0;
    if (events > busiest.events) busiest = { shard, events };
  }
  await saveHistory(h.temporal, dispatchWorkflowId(busiest.shard), 'message-and-campaign-sent');
});
