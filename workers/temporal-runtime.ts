import { DefaultLogger, Runtime, type LogLevel, type Logger } from '@temporalio/worker';

/** pino's levels onto the SDK's; the SDK's INFO (worker state, bundling) shows only when asked for. */
const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN' };

let installed = false;

/**
 * Installs the Temporal runtime once per process with its logger at the process's LOG_LEVEL, never
 * quieter than ERROR and, for silent/error/fatal, at WARN: test and CI output shows failures and
 * warnings, not SDK chatter. Tests pass their own `logger` to read what the SDK logs.
 */
export function installTemporalRuntime(logLevel: string, options: { shutdownSignals?: NodeJS.Signals[]; logger?: Logger } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: options.logger ?? new DefaultLogger(SDK_LEVELS[logLevel] ?? 'WARN'),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  });
}
