import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { ProcessKindKey } from '../workflows/search-attributes';
import { WEBHOOK_DELIVERIES_WORKFLOW_ID, webhookDeliveriesWorkflow } from '../workflows/webhooks/webhook-deliveries';
import { TASK_QUEUES } from './task-queues';

/** Starts the delivery workflow unless it runs already (every worker start calls this). */
export async function ensureWebhookDeliveriesWorkflow(client: Client): Promise<void> {
  await client.workflow.start(webhookDeliveriesWorkflow, {
    workflowId: WEBHOOK_DELIVERIES_WORKFLOW_ID,
    staticSummary: 'Customer webhook deliveries: delivers every pending event, fairly across accounts',
    taskQueue: TASK_QUEUES.webhooks,
    args: [],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: ProcessKindKey, value: 'webhook-deliveries' }],
  });
}
