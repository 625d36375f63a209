import { continueAsNew, makeContinueAsNewFunc, patched, type Workflow } from '@temporalio/workflow';
import { BACKGROUND_TASK_QUEUE } from '../workers/task-queues';

/** Marks runs that continue on the shared background queue (histories before it continued on their own). */
export const BACKGROUND_QUEUE_PATCH = 'continue-on-background-queue';

/**
 * Continue-as-new for the workflows that run for good (usage reporters, webhook deliveries): the next
 * run goes to the background queue, so one started on its role's retired queue moves off it at its
 * next continue-as-new and that queue drains.
 */
export function continueOnBackgroundQueue<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  if (patched(BACKGROUND_QUEUE_PATCH)) return makeContinueAsNewFunc<F>({ taskQueue: BACKGROUND_TASK_QUEUE })(...args);
  return continueAsNew<F>(...args);
}
