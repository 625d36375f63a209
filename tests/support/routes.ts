import type { Express } from 'express';
import request from 'supertest';

/** Every authenticated customer route, as "METHOD /path/{param}", read from the served OpenAPI document. */
export async function customerRoutes(app: Express): Promise<string[]> {
  const doc = (await request(app).get('/openapi.json')).body as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length)
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}
