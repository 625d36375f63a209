import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebhookRoundResult } from '../activities/webhooks/webhook-delivery-activities';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import {
  WEBHOOK_ROUNDS_PER_RUN,
  webhookDeliveriesProgressQuery,
  webhookDeliveriesWorkflow,
  type WebhookDeliveriesState,
} from '../workflows/webhooks/webhook-deliveries';
import { waitFor } from './support/webhook-receiver';

// The workflow's own shape (rounds, totals, continue-as-new) with rounds that return at once:
// the drain itself runs against the real database in customer-webhooks.test.ts.
let connection: Connection;
let client: Client;
let workerConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `webhooks-workflow-test-${randomUUID()}`;
let rounds = 0;

beforeAll(async () => {
  installTemporalRuntime('WARN', { shutdownSignals: [] });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      runWebhookDeliveryRound: (): Promise<WebhookRoundResult> => {
        rounds++;
        return Promise.resolve({ claimed: 3, delivered: 2, retrying: 1, failed: 0, disabledEndpoints: rounds === 5 ? 1 : 0, notified: 0 });
      },
    },
  });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
});

describe('webhookDeliveriesWorkflow', () => {
  it(`continues as new after ${WEBHOOK_ROUNDS_PER_RUN} rounds, carrying its totals, and answers a progress query`, async () => {
    const workflowId = `webhook-deliveries-test-${randomUUID()}`;
    const first = await client.workflow.start(webhookDeliveriesWorkflow, { workflowId, taskQueue, args: [] });
    const firstRun = client.workflow.getHandle(workflowId, first.firstExecutionRunId);
    await waitFor(
      async () => ((await firstRun.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined),
      'continue-as-new',
      60_000,
    );
    const latest = client.workflow.getHandle(workflowId);
    const progress = await latest.query(webhookDeliveriesProgressQuery);
    expect(progress.runs).toBe(2);
    // The second run's input is the first run's totals, exactly.
    const history = await latest.fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8')) as WebhookDeliveriesState;
    expect(input).toEqual({
      runs: 1,
      delivered: 2 * WEBHOOK_ROUNDS_PER_RUN,
      retried: WEBHOOK_ROUNDS_PER_RUN,
      failed: 0,
      disabledEndpoints: 1,
    });
    expect(progress.delivered).toBeGreaterThanOrEqual(input.delivered);
    await latest.terminate('test over');
  });
});
