import { afterAll, beforeAll, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../workers/task-queues';
import { messagesSentDailyWorkflow } from '../../workflows/messages-sent-daily';
import { startHarness, type Harness } from '../support/harness';
import { saveHistory } from '../support/histories';
import { startBackgroundWorker } from '../support/bundled-worker';

/** Records one daily messages_sent_daily run on the maintenance queue (no PostHog configured: the activity counts nothing). */
let h: Harness;
let maintenance: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  h = await startHarness();
  maintenance = await startBackgroundWorker(h);
});
afterAll(async () => {
  await maintenance?.stop();
  await h?.close();
});

it('records the daily messages_sent_daily run', async () => {
  const workflowId = `record-messages-sent-daily-${Date.now()}`;
  const result = await h.temporal.workflow.execute(messagesSentDailyWorkflow, { taskQueue: TASK_QUEUES.maintenance, workflowId });
  expect(result).toEqual({ day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), accounts: 0 });
  await saveHistory(h.temporal, workflowId, 'daily');
});
