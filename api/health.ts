import type { Router } from 'express';
import { AppError } from '../lib/errors';
import type { ApiDeps } from '../services/deps';

export function healthRoutes(router: Router, deps: ApiDeps): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([deps.orm.em.fork().execute('select 1'), deps.temporal.workflowService.getSystemInfo({})]);
    const [postgres, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unreachable'));
    if (postgres !== 'ok' || temporal !== 'ok') {
      throw new AppError('unavailable', `not ready: postgres ${postgres}, temporal ${temporal}`);
    }
    res.json({ status: 'ready', postgres, temporal });
  });
}
