import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import type { AppConfig } from '../config/env';
import { connectionOptions } from '../workers/temporal-connection';

/** How long one Temporal call of a request may take, the SDK's retries included (its own would last ~20 s). */
export const TEMPORAL_CALL_DEADLINE_MS = 5000;

/** Bounds every workflow call (start, signal, query, ...) so a request meets Temporal's absence with a 503, not a hang. */
function boundedCalls(connection: Connection, deadlineMs: number): WorkflowClientInterceptor {
  const within = <T>(call: () => Promise<T>) => connection.withDeadline(Date.now() + deadlineMs, call);
  return {
    start: (input, next) => within(() => next(input)),
    startWithDetails: (input, next) => within(() => next(input)),
    signal: (input, next) => within(() => next(input)),
    signalWithStart: (input, next) => within(() => next(input)),
    query: (input, next) => within(() => next(input)),
    terminate: (input, next) => within(() => next(input)),
    cancel: (input, next) => within(() => next(input)),
    describe: (input, next) => within(() => next(input)),
  };
}

/**
 * The API's Temporal client. Lazy: the API starts, and takes sends into the outbox, while Temporal
 * is down (routes that need a workflow answer 503 until it is back, /readyz says so).
 */
export function createApiTemporalClient(
  config: AppConfig,
  deadlineMs = TEMPORAL_CALL_DEADLINE_MS,
): { client: Client; connection: Connection } {
  const connection = Connection.lazy(connectionOptions(config));
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    interceptors: { workflow: [boundedCalls(connection, deadlineMs)] },
  });
  return { client, connection };
}
