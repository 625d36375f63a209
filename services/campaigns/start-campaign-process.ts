import type { Client } from '@temporalio/client';
import { TASK_QUEUES } from '../../workers/task-queues';
import { campaignWorkflow, campaignWorkflowId } from '../../workflows/campaigns/campaign';
import { AccountIdKey, CampaignIdKey, ProcessKindKey } from '../../workflows/search-attributes';

/** Starts a launched campaign's process (after the launch commits, or by the sweeper of lost starts). */
export async function startCampaignProcess(temporal: Client, input: { campaignId: string; accountId: string }): Promise<void> {
  const { campaignId, accountId } = input;
  await temporal.workflow.start(campaignWorkflow, {
    taskQueue: TASK_QUEUES.campaigns,
    workflowId: campaignWorkflowId(campaignId),
    staticSummary: `Campaign ${campaignId} of account ${accountId}`,
    args: [{ campaignId }],
    typedSearchAttributes: [
      { key: ProcessKindKey, value: 'campaign' },
      { key: CampaignIdKey, value: campaignId },
      { key: AccountIdKey, value: accountId },
    ],
  });
}
