import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { TASK_QUEUES } from '../../workers/task-queues';
import { terminationWorkflow, terminationWorkflowId } from '../../workflows/lifecycle/termination';
import { AccountIdKey, ProcessKindKey } from '../../workflows/search-attributes';

/**
 * Starts (or finds running) the process that deletes a terminated account by its deadline: at the
 * termination request, at its retry, or by the sweeper of lost starts.
 */
export async function startTerminationProcess(temporal: Client, input: { accountId: string; deleteEarly: boolean }): Promise<void> {
  const { accountId, deleteEarly } = input;
  await temporal.workflow.start(terminationWorkflow, {
    taskQueue: TASK_QUEUES.lifecycle,
    workflowId: terminationWorkflowId(accountId),
    staticSummary: `Termination of account ${accountId}${deleteEarly ? ' (deletion early)' : ''}`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ accountId, deleteEarly }],
    typedSearchAttributes: [
      { key: ProcessKindKey, value: 'termination' },
      { key: AccountIdKey, value: accountId },
    ],
  });
}
