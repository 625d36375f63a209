import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type Logger, type WorkflowBundleOption } from '@temporalio/worker';

/**
 * Where `npm run build` writes the workflow bundle (dist/workflow-bundle.js, next to the compiled
 * workflows it was built from). Under tsx this path is in the source tree, where no bundle is kept.
 */
export const PREBUILT_WORKFLOW_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');

/**
 * The workflow code every Worker in the process shares: the bundle the build made (production:
 * no webpack at start, and none of its memory kept by the process), else bundled once from source
 * (`npm run dev`, tests' spawned workers).
 */
export async function loadWorkflowBundle(logger: Logger): Promise<WorkflowBundleOption> {
  if (existsSync(PREBUILT_WORKFLOW_BUNDLE)) return { codePath: PREBUILT_WORKFLOW_BUNDLE };
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
}
