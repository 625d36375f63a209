import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { markOwnerVerified } from './holders';

export interface TestAccount {
  accountId: string;
  apiKeyId: string;
  apiKey: string;
  auth: { Authorization: string };
}

/** Signs up through the public API, as a customer would (and, as a fixture, verifies the owner's email so the account may send). */
export async function signUp(app: Express, name = 'Acme'): Promise<TestAccount> {
  const res = await request(app)
    .post('/v1/accounts')
    .send({ accountName: name, email: `owner-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple' });
  expect(res.status).toBe(201);
  await markOwnerVerified(res.body.account.id);
  return {
    accountId: res.body.account.id,
    apiKeyId: res.body.apiKey.id,
    apiKey: res.body.apiKey.key,
    auth: { Authorization: `Bearer ${res.body.apiKey.key}` },
  };
}

export function expectProblem(res: request.Response, status: number, kind?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.detail).toBe('string');
  if (kind) expect(res.body.type).toBe(`https://massivesms.dev/problems/${kind}`);
}
