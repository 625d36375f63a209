import { describe, expect, it } from 'vitest';
import { OperationCoverage } from '../scripts/fuzz-api-coverage';

/** The fuzz run's gate (scripts/fuzz-api.ts): which operations never got past authentication. */
const document = {
  paths: {
    '/v1/contacts/{id}': { get: { security: [{ bearerAuth: [] }] }, delete: { security: [{ bearerAuth: [] }] } },
    '/v1/contacts/imports': { get: { security: [{ bearerAuth: [] }] } },
    '/staff/v1/sessions': { post: {} },
    '/v1/never': { get: { security: [{ bearerAuth: [] }] } },
  },
};

describe('fuzz coverage per operation', () => {
  it('names secured operations answered only 401/403 and operations never answered; a public 401 came from its handler', () => {
    const coverage = new OperationCoverage(document);
    coverage.record('GET', '/v1/contacts/imports?cursor=0', 422);
    coverage.record('GET', '/v1/contacts/01a2493c-9b4a-7f8d-a0a4-903ec32879a2', 401);
    coverage.record('GET', '/v1/contacts/01a2493c-9b4a-7f8d-a0a4-903ec32879a2', 404);
    coverage.record('DELETE', '/v1/contacts/01a2493c-9b4a-7f8d-a0a4-903ec32879a2', 401);
    coverage.record('DELETE', '/v1/contacts/x', 403);
    coverage.record('POST', '/staff/v1/sessions', 401);
    expect(coverage.size).toBe(5);
    expect(coverage.unreached()).toEqual([
      { name: 'DELETE /v1/contacts/{id}', statuses: [401, 403] },
      { name: 'GET /v1/never', statuses: [] },
    ]);
  });
});
