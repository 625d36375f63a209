/**
 * Build step after tsc (`npm run build`): bundles the compiled workflows once into
 * dist/workflow-bundle.js, which the production worker loads instead of bundling at every start.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE } from '../workers/workflow-bundle';

async function main(): Promise<void> {
  if (!__filename.endsWith('.js')) throw new Error('run the compiled script (node dist/scripts/bundle-workflows.js) after tsc');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
  writeFileSync(PREBUILT_WORKFLOW_BUNDLE, code);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
