import { afterAll, beforeAll, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../workers/task-queues';
import { dsrWorkflowId } from '../../workflows/lifecycle/dsr';
import { lostStartsWorkflow } from '../../workflows/lost-starts';
import { signUp } from '../support/accounts';
import { startHarness, type Harness } from '../support/harness';
import { saveHistory } from '../support/histories';
import { backdate, loseStart, openDsr } from '../support/lost-starts';
import { startBackgroundWorker } from '../support/bundled-worker';

/** Records a sweep of lost starts that starts one DSR process whose start was lost. */
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

it('records a sweep that starts a lost DSR process', async () => {
  const acct = await signUp(h.app, 'Recorded lost start');
  const dsr = await openDsr(h, acct);
  await loseStart(h, dsrWorkflowId(dsr));
  await backdate(h, 'data_subject_requests', 'received_at', 'id', dsr, 120);
  const workflowId = `record-lost-starts-${Date.now()}`;
  const swept = await h.temporal.workflow.execute(lostStartsWorkflow, { taskQueue: TASK_QUEUES.maintenance, workflowId });
  expect(swept.started.dsr).toContain(dsrWorkflowId(dsr));
  await saveHistory(h.temporal, workflowId, 'started-a-lost-dsr');
  for (const ids of Object.values(swept.started)) for (const id of ids) await h.temporal.workflow.getHandle(id).terminate('recorded');
});
