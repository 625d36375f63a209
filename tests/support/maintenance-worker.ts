import { createMaintenanceWorker } from '../../workers/create-maintenance-worker';
import { startBundledWorker } from './bundled-worker';
import type { Harness } from './harness';

/** A maintenance worker (purges, audit anchors) on the run's Temporal server, with the prebuilt bundle. */
export const startMaintenanceWorker = (h: Harness) => startBundledWorker(h, createMaintenanceWorker);
