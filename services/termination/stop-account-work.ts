import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { cancelCampaignUpdate, campaignWorkflowId } from '../../workflows/campaigns/campaign';
import { importWorkflowId } from '../../workflows/import-contacts';
import { cancelQueuedMessages } from './termination-store';

/** A process that already finished (or never started) has nothing left to stop. */
const finished = (err: unknown) => err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError;

/**
 * Stops a terminated account's running work through the workflows that own it: each running import
 * is cancelled (its workflow records the failure and stops applying chunks), each launched campaign
 * gets its cancel update (recipients not yet messaged are skipped, its queued messages cancelled).
 * Then whatever was queued meanwhile is cancelled too. Idempotent: a retry finds less to do.
 */
export async function stopAccountWork(
  { pool, temporal }: { pool: Pool; temporal: Client },
  accountId: string,
): Promise<{ imports: number; campaigns: number; messages: number }> {
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
  const messages = await cancelQueuedMessages(pool, accountId);
  return { imports: imports.rowCount ?? 0, campaigns: campaigns.rowCount ?? 0, messages };
}
