import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from '../config/env';

/** One reading of the TEMPORAL_* settings for self-hosted, dev-server and Temporal Cloud alike. */
export function connectionOptions(config: AppConfig) {
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY, tls: true } : {}),
    ...(config.TEMPORAL_TLS ? { tls: true } : {}),
  };
}

export function connectClient(config: AppConfig): Promise<Connection> {
  return Connection.connect(connectionOptions(config));
}

export function connectWorker(config: AppConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

/**
 * Whether a connect failed because the Temporal server is not reachable yet (refused, or no answer
 * before the connect deadline), as opposed to a bad address or credentials.
 */
export function isTemporalUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TransportError') return /ConnectError|Connection refused|timed out|connection reset/i.test(err.message);
  return err.message.startsWith('Failed to connect before the deadline');
}
