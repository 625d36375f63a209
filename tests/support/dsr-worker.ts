import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { createDsrWorker } from '../../workers/create-dsr-worker';
import type { Harness } from './harness';

/** The data subject request worker on the run's Temporal dev server, with the prebuilt bundle. */
export async function startDsrWorker(h: Harness): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  const worker = await createDsrWorker({
    connection,
    namespace: h.config.TEMPORAL_NAMESPACE,
    deps: h.deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
