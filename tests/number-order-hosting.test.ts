import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNumberActivities } from '../activities/numbers';
import { createNumberCarriers } from '../providers/sms/registry';
import { readNumber } from '../services/messaging/sender-number-store';
import { reserveNumber } from '../services/messaging/sender-numbers';
import { TASK_QUEUES } from '../workers/task-queues';
import { numberOrderStatusQuery, numberOrderWorkflow, numberOrderWorkflowId } from '../workflows/numbers/number-order';
import { signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { inventoryPhone } from './support/sender-numbers';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { startTimeSkipping, timeSkippingWorker } from './support/time-skipping';
import { waitFor } from './support/webhook-receiver';

let sim: SimulatorProcess;
let h: Harness;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: sim.env() });
  env = await startTimeSkipping();
  worker = await timeSkippingWorker(
    env,
    TASK_QUEUES.messaging,
    createNumberActivities({ pgPool: h.deps.pgPool, numbers: createNumberCarriers(h.config) }),
  );
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await h?.close();
  await sim?.stop();
});

describe('number-order waits for Twilio hosting with a durable timer', () => {
  it('stays failover_pending for days (checks at 1 min, doubling to every 6 h), then turns active at the next check after hosting completes', async () => {
    await sim.control.numberTimings({ hostedSmsDelayMs: null });
    const acct = await signUp(h.app, 'Hosting wait');
    const phone = inventoryPhone('718');
    const actor = { accountId: acct.accountId, apiKeyId: acct.apiKeyId, scopes: ['write' as const] };
    const { number } = await reserveNumber(h.deps.orm.em.fork(), h.deps.pgPool, actor, { phone });
    const handle = await env.client.workflow.start(numberOrderWorkflow, {
      taskQueue: TASK_QUEUES.messaging,
      workflowId: numberOrderWorkflowId(number.id),
      args: [{ numberId: number.id, accountId: acct.accountId }],
    });
    await waitFor(
      async () => ((await readNumber(h.deps.pgPool, number.id))?.status === 'failover_pending' ? true : undefined),
      'failover_pending',
    );
    await waitFor(
      async () => ((await handle.query(numberOrderStatusQuery)).hostingChecks === 1 ? true : undefined),
      'the first hosting check',
    );

    // 3 days: checks after 1, 2, 4 … 256 min (511 min in all), then every 360 min → 1 + 9 + 10 checks.
    await env.sleep('3 days');
    const waiting = await handle.query(numberOrderStatusQuery);
    expect(waiting).toMatchObject({ phase: 'failover_pending', hostingChecks: 20, failure: null });
    expect((await readNumber(h.deps.pgPool, number.id))!.status).toBe('failover_pending');

    expect((await sim.control.completeHosting(phone)).completed).toBe(1);
    const done = await handle.result();
    expect(done).toMatchObject({ phase: 'active', hostingChecks: 21, nextHostingCheckAtMs: null });
    expect((await readNumber(h.deps.pgPool, number.id))!.status).toBe('active');
    await sim.control.numberTimings({ hostedSmsDelayMs: 0 });
  });
});
