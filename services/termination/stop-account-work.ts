import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { isUuid } from '../../lib/ids';
import { cancelCampaignUpdate, campaignWorkflowId } from '../../workflows/campaigns/campaign';
import { importWorkflowId } from '../../workflows/import-contacts';
import { terminationWorkflowId } from '../../workflows/lifecycle/termination';
import { cancelQueuedMessages } from './termination-store';

/** A process that already finished (or never started) has nothing left to stop. */
const finished = (err: unknown) => err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError;

/**
 * Stops a terminated account's running work through the workflows that own it: each running import
 * is cancelled (its workflow records the failure and stops applying chunks), each launched campaign
 * gets its cancel update (recipients not yet messaged are skipped, its queued messages cancelled).
 * Then every other workflow of the account still running (data subject requests, …), found by its
 * AccountId in Temporal's visibility rather than in a list kept on the side, is terminated, except the
 * termination itself; `ended` names them all. Then whatever was queued meanwhile is cancelled too.
 * Idempotent: a retry finds less to do.
 */
export async function stopAccountWork(
  { pool, temporal }: { pool: Pool; temporal: Client },
  accountId: string,
): Promise<{ imports: number; campaigns: number; messages: number; ended: string[] }> {
  const imports = await pool.query<{ id: string }>(
    `select id from contact_imports where account_id = $1 and status in ('queued', 'running') order by id`,
    [accountId],
  );
  for (const { id } of imports.rows) {
    await temporal.workflow
      .getHandle(importWorkflowId(id))
      .cancel()
      .catch((err: unknown) => {
        if (!finished(err)) throw err;
      });
  }
  const campaigns = await pool.query<{ id: string }>(
    `select id from campaigns where account_id = $1 and status in ('scheduled', 'running', 'paused') order by id`,
    [accountId],
  );
  for (const { id } of campaigns.rows) {
    await temporal.workflow
      .getHandle(campaignWorkflowId(id))
      .executeUpdate(cancelCampaignUpdate)
      .catch((err: unknown) => {
        if (!finished(err)) throw err;
      });
  }
  const ended = [...imports.rows.map((r) => importWorkflowId(r.id)), ...campaigns.rows.map((r) => campaignWorkflowId(r.id))];
  for (const id of await runningWorkflowsOf(temporal, accountId)) {
    if (id === terminationWorkflowId(accountId)) continue;
    // Terminated, not cancelled: a workflow that does not handle cancellation would otherwise run on.
    await temporal.workflow
      .getHandle(id)
      .terminate('the account was terminated')
      .catch((err: unknown) => {
        if (!finished(err)) throw err;
      });
    if (!ended.includes(id)) ended.push(id);
  }
  const messages = await cancelQueuedMessages(pool, accountId);
  return { imports: imports.rowCount ?? 0, campaigns: campaigns.rowCount ?? 0, messages, ended: ended.sort() };
}

/** gRPC's status code UNIMPLEMENTED (@grpc/grpc-js is not a dependency of ours). */
const GRPC_UNIMPLEMENTED = 12;

/**
 * The ids of the account's running workflows, from visibility (the id is a uuid: safe in the query).
 * A server with no visibility store at all answers UNIMPLEMENTED: only the time-skipping test server
 * (the dev server and every deployed one list); there is nothing to list there. Any other error is
 * retried with the activity.
 */
async function runningWorkflowsOf(temporal: Client, accountId: string): Promise<string[]> {
  if (!isUuid(accountId)) throw new Error('not an account id');
  const ids: string[] = [];
  try {
    for await (const execution of temporal.workflow.list({ query: `AccountId = '${accountId}' AND ExecutionStatus = 'Running'` })) {
      ids.push(execution.workflowId);
    }
  } catch (err) {
    if (err instanceof ServiceError && isGrpcServiceError(err.cause) && Number(err.cause.code) === GRPC_UNIMPLEMENTED) return [];
    throw err;
  }
  return ids;
}
