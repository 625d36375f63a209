/**
 * The customer-webhook delivery rules, as constants of the domain (never shortened by config).
 * Tests drive them at these values through an injected clock.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Wait after the n-th failed attempt (index n-1); the last value repeats. */
export const WEBHOOK_RETRY_BACKOFF_MS = [30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR] as const;

/** A delivery is retried for up to 3 days after its first attempt; the last attempt is at exactly that point. */
export const WEBHOOK_RETRY_WINDOW = '3 days';
export const WEBHOOK_RETRY_WINDOW_MS = 3 * 24 * HOUR;

/**
 * An endpoint is disabled once every attempt to it has failed for 24 hours, counting at least 5
 * failed attempts in a row: a quiet endpoint with one old failure is not "failing for a day", and
 * a busy one failing for minutes is an outage, not a dead endpoint.
 */
export const ENDPOINT_DISABLE_AFTER_MS = 24 * HOUR;
export const ENDPOINT_DISABLE_MIN_FAILURES = 5;

/** One HTTP attempt: connect, send, and the answer's status line and headers. */
export const WEBHOOK_ATTEMPT_TIMEOUT_MS = 10 * SECOND;

export function backoffAfter(attemptNo: number): number {
  const i = Math.min(Math.max(attemptNo, 1), WEBHOOK_RETRY_BACKOFF_MS.length) - 1;
  return WEBHOOK_RETRY_BACKOFF_MS[i]!;
}

/**
 * After failed attempt `attemptNo` at `now`: when to try again, or null to give up. The retry
 * window ends 3 days after the first attempt; the attempt due at or past it is the last.
 */
export function nextAttemptAfterFailure(firstAttemptAt: Date, attemptNo: number, now: Date): Date | null {
  const deadline = firstAttemptAt.getTime() + WEBHOOK_RETRY_WINDOW_MS;
  if (now.getTime() >= deadline) return null;
  return new Date(Math.min(now.getTime() + backoffAfter(attemptNo), deadline));
}

/** Whether an endpoint failing since `failingSince` with `consecutiveFailures` failed attempts (this one included) is disabled now. */
export function shouldDisableEndpoint(failingSince: Date, consecutiveFailures: number, now: Date): boolean {
  return consecutiveFailures >= ENDPOINT_DISABLE_MIN_FAILURES && now.getTime() - failingSince.getTime() >= ENDPOINT_DISABLE_AFTER_MS;
}
