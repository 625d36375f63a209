import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { createMaintenanceWorker } from '../../workers/create-maintenance-worker';
import type { Harness } from './harness';

/** A maintenance worker (purges, audit anchors) on the run's Temporal server, with the prebuilt bundle. */
export async function startMaintenanceWorker(h: Harness): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  const worker = await createMaintenanceWorker({
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
