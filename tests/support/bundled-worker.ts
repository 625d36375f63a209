import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createBackgroundWorker } from '../../workers/background-worker';
import type { WorkerOptions } from '../../workers/create-import-worker';
import type { Harness } from './harness';

/** A worker built by one of the product's factories, on the run's Temporal server with the prebuilt bundle. */
export async function startBundledWorker(
  h: Harness,
  create: (options: WorkerOptions) => Promise<Worker>,
): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  const worker = await create({
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

/**
 * The background queue's worker (DSRs, termination, notices, maintenance, webhook deliveries, billing):
 * one Worker serves all of them, as in production, so no test's worker takes a task it cannot run.
 */
export const startBackgroundWorker = (h: Harness) =>
  startBundledWorker(h, (options) => createBackgroundWorker({ ...options, temporal: h.temporal }));
