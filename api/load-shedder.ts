import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors';

/** Probes and scrapes are never shed: an overloaded replica must still say so. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

/** Seconds a shed client is told to wait: long enough to spread retries, short for a spike. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/**
 * Sheds load by queue depth: a request arriving while `maxInFlight` are already being served is
 * answered 503 + Retry-After at once, before its body is read or anything is queried. The API is
 * I/O-bound (it waits on PostgreSQL far more than it computes), so excess work queues on the pools,
 * not the event loop: event-loop delay would rise only after latency already had. The in-flight
 * count is that queue, known exactly and at once.
 */
export function loadShedder(maxInFlight: number): RequestHandler {
  let inFlight = 0;
  return (req, res, next) => {
    if (EXEMPT.has(req.path)) return next();
    if (inFlight >= maxInFlight) {
      return next(
        new AppError('unavailable', 'this server is at capacity; retry after Retry-After seconds', {
          retryAfterSeconds: SHED_RETRY_AFTER_SECONDS,
        }),
      );
    }
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    next();
  };
}
