import { createMaintenanceWorker } from '../../workers/create-maintenance-worker';
import { startBundledWorker } from './bundled-worker';
import type { Harness } from './harness';

/** A maintenance worker (purges, audit anchors, the sweep of lost starts) on the run's Temporal server, with the prebuilt bundle. */
export const startMaintenanceWorker = (h: Harness) =>
  startBundledWorker(h, (options) => createMaintenanceWorker({ ...options, temporal: h.temporal }));
