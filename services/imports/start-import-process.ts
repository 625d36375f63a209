import type { Client } from '@temporalio/client';
import { TASK_QUEUES } from '../../workers/task-queues';
import { importContactsWorkflow, importWorkflowId } from '../../workflows/import-contacts';
import { AccountIdKey, ProcessKindKey } from '../../workflows/search-attributes';

/** Starts a queued import's process (at launch, or by the sweeper of lost starts). */
export async function startImportProcess(
  temporal: Client,
  input: { importId: string; accountId: string; totalRows: number; chunkCount: number },
): Promise<void> {
  await temporal.workflow.start(importContactsWorkflow, {
    taskQueue: TASK_QUEUES.imports,
    workflowId: importWorkflowId(input.importId),
    staticSummary: `Contact import ${input.importId}: ${input.totalRows} rows in ${input.chunkCount} chunks`,
    args: [input],
    typedSearchAttributes: [
      { key: AccountIdKey, value: input.accountId },
      { key: ProcessKindKey, value: 'import' },
    ],
  });
}
