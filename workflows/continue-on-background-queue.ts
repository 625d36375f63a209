import { continueAsNew, makeContinueAsNewFunc, patched, workflowInfo, type Workflow } from '@temporalio/workflow';
import { BACKGROUND_TASK_QUEUE, RETIRED_TASK_QUEUES } from '../workers/task-queues';

/** Marks a run that moved from its role's retired queue to the background queue at continue-as-new. */
export const BACKGROUND_QUEUE_PATCH = 'continue-on-background-queue';

/**
 * Continue-as-new for the workflows that run for good (usage reporters, webhook deliveries): a run on
 * its role's retired queue continues on the background queue, so that queue drains; any other run
 * continues where it is, as before.
 */
export function continueOnBackgroundQueue<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  const retired = (RETIRED_TASK_QUEUES as readonly string[]).includes(workflowInfo().taskQueue);
  if (retired && patched(BACKGROUND_QUEUE_PATCH)) return makeContinueAsNewFunc<F>({ taskQueue: BACKGROUND_TASK_QUEUE })(...args);
  return continueAsNew<F>(...args);
}
