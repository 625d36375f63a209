import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { expectProblem, signUp } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

beforeAll(async () => {
  h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '5', IMPORT_MAX_BYTES: '2000', METRICS_TOKEN } });
});
afterAll(() => h.close());

describe('operational endpoints', () => {
  it('/healthz and /readyz report Postgres and Temporal reachable', async () => {
    expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(h.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', postgres: 'ok', temporal: 'ok' });
  });

  it('/metrics exposes Prometheus metrics with route templates, only to the metrics token', async () => {
    await request(h.app).get('/healthz');
    expectProblem(await request(h.app).get('/metrics'), 401, 'unauthorized');
    expectProblem(await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}x`), 401, 'unauthorized');
    const acct = await signUp(h.app, 'Metrics snooper');
    expectProblem(await request(h.app).get('/metrics').set(acct.auth), 401, 'unauthorized');
    const res = await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}');
    expect(res.text).toContain('process_cpu_seconds_total');
  });

  it('/metrics is not served at all when no METRICS_TOKEN is configured', async () => {
    const app = createApp({ ...h.deps, config: { ...h.config, METRICS_TOKEN: undefined }, temporal: h.temporal });
    expectProblem(await request(app).get('/metrics'), 404, 'not_found');
  });

  it('/openapi.json is OpenAPI 3.1 covering the API, and /docs serves the interactive docs', async () => {
    const doc = await request(h.app).get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/accounts', '/v1/contacts', '/v1/contacts/imports', '/v1/opt-outs']),
    );
    expect(doc.body.paths['/v1/contacts'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('phone');
    const docs = await request(h.app).get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });

  it('sends security headers', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('rate-limits each API key with 429 problem+json and Retry-After', async () => {
    const acct = await signUp(h.app, 'Busy');
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 7 && !limited; i++) {
      const res = await request(h.app).get('/v1/account').set(acct.auth);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expectProblem(limited!, 429, 'rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses an import larger than IMPORT_MAX_BYTES with 413 and stages nothing', async () => {
    const acct = await signUp(h.app, 'Big file');
    const csv = 'phone\n' + Array.from({ length: 200 }, (_, i) => `+1415555${String(1000 + i)}`).join('\n');
    const res = await request(h.app).post('/v1/contacts/imports').set(acct.auth).set('Content-Type', 'text/csv').send(csv);
    expectProblem(res, 413, 'payload_too_large');
    const rows = await h.deps.orm.em.fork().execute('select id from contact_imports where account_id = ?', [acct.accountId]);
    expect(rows).toHaveLength(0);
  });
});
