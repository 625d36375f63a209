import type { Router } from 'express';
import { AppError } from '../lib/errors';
import type { ApiDeps } from '../services/deps';
import type { DrainState } from './drain';

/** How long /readyz waits for each dependency: a probe must answer, and quickly, when one is down. */
const READINESS_CHECK_MS = 2000;

function within<T>(ms: number, check: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), ms);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(router: Router, deps: ApiDeps, drain: Pick<DrainState, 'draining'> = { draining: false }): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    if (drain.draining) throw new AppError('unavailable', 'not ready: this server is shutting down', { retryAfterSeconds: 1 });
    const checks = await Promise.allSettled([
      within(READINESS_CHECK_MS, deps.orm.em.fork().execute('select 1')),
      within(
        READINESS_CHECK_MS,
        deps.temporal.withDeadline(Date.now() + READINESS_CHECK_MS, () => deps.temporal.workflowService.getSystemInfo({})),
      ),
    ]);
    const [postgres, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unreachable'));
    if (postgres !== 'ok' || temporal !== 'ok') {
      throw new AppError('unavailable', `not ready: postgres ${postgres}, temporal ${temporal}`, { retryAfterSeconds: 5 });
    }
    res.json({ status: 'ready', postgres, temporal });
  });
}
