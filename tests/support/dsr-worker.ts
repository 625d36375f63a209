import { createDsrWorker } from '../../workers/create-dsr-worker';
import { startBundledWorker } from './bundled-worker';
import type { Harness } from './harness';

/** The data subject request worker on the run's Temporal dev server, with the prebuilt bundle. */
export const startDsrWorker = (h: Harness) => startBundledWorker(h, createDsrWorker);
