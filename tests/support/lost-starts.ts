import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { expect } from 'vitest';
import type { TestAccount } from './accounts';
import type { Harness } from './harness';
import { waitFor } from './outbox';

/** As if the API process died between its commit and the workflow start: the execution never existed. */
export async function loseStart(h: Harness, workflowId: string): Promise<void> {
  await h.temporal.workflowService.deleteWorkflowExecution({ namespace: h.config.TEMPORAL_NAMESPACE, workflowExecution: { workflowId } });
  await waitFor(
    () =>
      h.temporal.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          () => 'exists',
          (e: unknown) => (e instanceof WorkflowNotFoundError ? 'gone' : 'error'),
        ),
    (state) => state === 'gone',
    20_000,
  );
}

/** Moves a row's timestamp `seconds` into the past (older than the sweep's minimum age). */
export async function backdate(h: Harness, table: string, column: string, where: string, id: string, seconds: number): Promise<void> {
  await h.deps.pgPool.query(`update ${table} set ${column} = now() - make_interval(secs => $2) where ${where} = $1`, [id, seconds]);
}

/** An access request for a number, through the API (its workflow started). */
export async function openDsr(h: Harness, acct: TestAccount): Promise<string> {
  const res = await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send({ type: 'access', phone: '+14155550123' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}
