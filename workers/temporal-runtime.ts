import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/** pino's levels onto the SDK's; the SDK's INFO (worker state, bundling) shows only when asked for. */
const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN' };

let installed = false;

/**
 * Installs the Temporal runtime once per process with its logger at the process's LOG_LEVEL, never
 * quieter than ERROR and, for silent/error/fatal, at WARN: test and CI output shows failures and
 * warnings, not SDK chatter.
 */
export function installTemporalRuntime(logLevel: string, options: { shutdownSignals?: NodeJS.Signals[] } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(SDK_LEVELS[logLevel] ?? 'WARN'),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  });
}
