import type { Client } from '@temporalio/client';
import { TASK_QUEUES } from '../../workers/task-queues';
import { dsrWorkflow, dsrWorkflowId, type DsrWorkflowInput } from '../../workflows/lifecycle/dsr';
import { AccountIdKey, ProcessKindKey } from '../../workflows/search-attributes';

/** Starts the process that keeps a data subject request's deadline (at its creation, or by the sweeper of lost starts). */
export async function startDsrProcess(
  temporal: Client,
  input: Omit<DsrWorkflowInput, 'receivedAtMs'> & { receivedAt: Date; dueAt: Date },
): Promise<void> {
  const { receivedAt, dueAt, ...rest } = input;
  await temporal.workflow.start(dsrWorkflow, {
    taskQueue: TASK_QUEUES.dsr,
    workflowId: dsrWorkflowId(input.requestId),
    staticSummary: `Data subject request ${input.requestId} (${input.type}) for account ${input.accountId}, due ${dueAt.toISOString()}`,
    args: [{ ...rest, receivedAtMs: receivedAt.getTime() }],
    typedSearchAttributes: [
      { key: ProcessKindKey, value: 'dsr' },
      { key: AccountIdKey, value: input.accountId },
    ],
  });
}
