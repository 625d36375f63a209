import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../lib/ids';
import { startLostProcesses, type LostStartsSwept } from '../services/lost-process-starts';
import { ensureLostStartsSchedule, LOST_STARTS_SCHEDULE_ID } from '../workers/lost-starts-schedule';
import { TASK_QUEUES } from '../workers/task-queues';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import { importWorkflowId } from '../workflows/import-contacts';
import { dsrWorkflowId } from '../workflows/lifecycle/dsr';
import { terminationWorkflowId } from '../workflows/lifecycle/termination';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';
import { startBackgroundWorker } from './support/bundled-worker';
import { waitFor } from './support/outbox';

const loseStart = (workflowId: string) => lose(h, workflowId);
const backdate = (table: string, column: string, where: string, id: string, seconds: number) =>
  backdateRow(h, table, column, where, id, seconds);
const openDsr = () => open(h, acct);
import { backdate as backdateRow, loseStart as lose, openDsr as open } from './support/lost-starts';

let h: Harness;
let acct: TestAccount;
let leaving: TestAccount;
let maintenance: { stop(): Promise<void> } | undefined;
/** Every workflow a sweep started: terminated at the end, so no later file's worker runs them. */
const sweptIds = new Set<string>();

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Lost starts');
  leaving = await signUp(h.app, 'Lost termination');
});
afterAll(async () => {
  for (const id of sweptIds)
    await h.temporal.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await maintenance?.stop();
  await h?.close();
});

/** A launched campaign row as the launch commits it (the sweep reads ids and state only). */
async function launchedCampaignRow(): Promise<string> {
  const id = uuidv7();
  await h.deps.pgPool.query(
    `insert into campaigns (id, account_id, name, template, template_variables, sender, list_ids, rate_per_second,
                            quiet_start_minute, quiet_end_minute, status, launched_at, created_at, updated_at)
     values ($1, $2, 'Lost', '\\x00', '{}', '+14155550100', '{}', 10, 0, 1440, 'running', now(), now(), now())`,
    [id, acct.accountId],
  );
  return id;
}

const mine = (swept: LostStartsSwept, ids: string[]) =>
  Object.fromEntries(Object.entries(swept.started).map(([kind, started]) => [kind, started.filter((id) => ids.includes(id))]));

function remember(swept: LostStartsSwept): LostStartsSwept {
  for (const ids of Object.values(swept.started)) for (const id of ids) sweptIds.add(id);
  return swept;
}

const sweep = async () => remember(await startLostProcesses({ pgPool: h.deps.pgPool, temporal: h.temporal, logger: h.deps.logger }));

describe('processes whose start was lost', () => {
  it('are started by the sweep once their row is a minute old; a young row and a closed execution are left alone', async () => {
    const dsr = await openDsr();
    const youngDsr = await openDsr();
    const closedDsr = await openDsr();
    const upload = await uploadCsv(h.app, acct.auth, 'phone\n+14155550124\n');
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    const importId = upload.body.id as string;
    expect((await request(h.app).post('/v1/account/termination').set(leaving.auth).send({ disposition: 'delete' })).status).toBe(201);
    const campaign = await launchedCampaignRow();

    for (const id of [dsrWorkflowId(dsr), dsrWorkflowId(youngDsr), importWorkflowId(importId), terminationWorkflowId(leaving.accountId)])
      await loseStart(id);
    // Closed, not lost: a person decides whether it runs again.
    await h.temporal.workflow.getHandle(dsrWorkflowId(closedDsr)).terminate('closed on purpose');
    for (const id of [dsr, closedDsr]) await backdate('data_subject_requests', 'received_at', 'id', id, 120);
    await backdate('data_subject_requests', 'received_at', 'id', youngDsr, 30);
    await h.deps.pgPool.query(`update contact_imports set status = 'queued', updated_at = now() - interval '2 minutes' where id = $1`, [
      importId,
    ]);
    await backdate('account_terminations', 'terminated_at', 'account_id', leaving.accountId, 120);
    await backdate('campaigns', 'launched_at', 'id', campaign, 120);

    const ours = [dsr, youngDsr, closedDsr]
      .map(dsrWorkflowId)
      .concat(importWorkflowId(importId), terminationWorkflowId(leaving.accountId), campaignWorkflowId(campaign));
    expect(mine(await sweep(), ours)).toEqual({
      dsr: [dsrWorkflowId(dsr)],
      termination: [terminationWorkflowId(leaving.accountId)],
      import: [importWorkflowId(importId)],
      campaign: [campaignWorkflowId(campaign)],
    });
    for (const id of [
      dsrWorkflowId(dsr),
      importWorkflowId(importId),
      terminationWorkflowId(leaving.accountId),
      campaignWorkflowId(campaign),
    ]) {
      const { status, taskQueue } = await h.temporal.workflow.getHandle(id).describe();
      expect([id, status.name]).toEqual([id, 'RUNNING']);
      expect(Object.values(TASK_QUEUES)).toContain(taskQueue);
    }
    expect((await h.temporal.workflow.getHandle(dsrWorkflowId(closedDsr)).describe()).status.name).toBe('TERMINATED');
    // Started once: the next sweep finds them running.
    expect(mine(await sweep(), ours)).toEqual({ dsr: [], termination: [], import: [], campaign: [] });
  });

  it('runs every 5 minutes from a Schedule on the maintenance worker, which starts what it finds', async () => {
    maintenance = await startBackgroundWorker(h);
    await ensureLostStartsSchedule(h.temporal);
    const handle = h.temporal.schedule.getHandle(LOST_STARTS_SCHEDULE_ID);
    try {
      const described = await handle.describe();
      expect(described.spec.intervals).toEqual([{ every: 300_000 }]);
      expect(described.action).toMatchObject({ workflowType: 'lostStartsWorkflow', taskQueue: TASK_QUEUES.maintenance });

      // Worker processes of other files create this Schedule too, and its 5-minute runs may come first; a
      // run taken just before the request became eligible may still sweep after it (CI saw one). Every run
      // from a minute before is read, and together they started it exactly once.
      const armedAt = new Date(Date.now() - 60_000);
      const dsr = await openDsr();
      await loseStart(dsrWorkflowId(dsr));
      await backdate('data_subject_requests', 'received_at', 'id', dsr, 120);
      const lostAt = new Date();
      await handle.trigger();
      // Once the request's workflow exists, the sweep that started it is among the recent actions (a
      // scheduled run taken at the same moment may be listed before the triggered one: wait for the
      // start, not a run). The background worker runs it at once: an access request may already be done.
      const started = await waitFor(
        () =>
          h.temporal.workflow
            .getHandle(dsrWorkflowId(dsr))
            .describe()
            .then(
              (d) => d.status.name,
              () => null,
            ),
        (status) => status !== null,
        20_000,
      );
      expect(started).not.toBeNull();
      const recent = (await handle.describe()).info.recentActions;
      expect(recent.some((a) => a.takenAt >= lostAt)).toBe(true);
      const startedBy = [];
      for (const { action } of recent.filter((a) => a.takenAt >= armedAt)) {
        const swept = remember(
          await h.temporal.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result(),
        );
        startedBy.push(...mine(swept, [dsrWorkflowId(dsr)]).dsr!);
      }
      expect(startedBy).toEqual([dsrWorkflowId(dsr)]);
      // Started once and carried out: the access request's workflow completes on the background worker.
      await h.temporal.workflow.getHandle(dsrWorkflowId(dsr)).result();
      expect((await h.temporal.workflow.getHandle(dsrWorkflowId(dsr)).describe()).status.name).toBe('COMPLETED');
    } finally {
      await handle.delete();
    }
  });
});
