import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Router } from 'express';
import { AppError } from '../lib/errors';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const observe: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route template, never the raw path: ids must not explode label cardinality.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, observe };
}

const digest = (v: string) => createHash('sha256').update(v).digest();

/**
 * GET /metrics for Prometheus, only with `Authorization: Bearer <METRICS_TOKEN>`; without a
 * configured token it is not served at all (404), so no deployment exposes it by accident.
 */
export function metricsRoute(router: Router, registry: Registry, token: string | undefined): void {
  if (!token) return;
  const expected = digest(`Bearer ${token}`);
  router.get('/metrics', async (req, res) => {
    if (!timingSafeEqual(digest(req.get('Authorization') ?? ''), expected)) {
      throw new AppError('unauthorized', 'send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"');
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
}
