import type { AppConfig } from '../config/env';

/**
 * Every worker's drain on shutdown (SIGTERM): running activities get SHUTDOWN_GRACE_SECONDS to
 * finish before they are cancelled, so a deploy does not turn every in-flight send into an ambiguous
 * one for the next worker to reconcile.
 */
export function shutdownBounds(config: Pick<AppConfig, 'SHUTDOWN_GRACE_SECONDS'>): { shutdownGraceTime: number } {
  return { shutdownGraceTime: config.SHUTDOWN_GRACE_SECONDS * 1000 };
}

/** After the grace period, cancelled activities get this long to stop before the process exits regardless. */
export const SHUTDOWN_FORCE_AFTER_GRACE_MS = 10_000;
