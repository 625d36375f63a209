import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { CUSTOMER_SECURITY_SCHEME, STAFF_SECURITY_SCHEME } from '../api/http/define-route';
import { problemErrorHandler } from '../api/http/problem';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

interface Operation {
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
}

let h: Harness;
let acct: TestAccount;
let paths: Record<string, Record<string, Operation>>;
const operations = () =>
  Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));

beforeAll(async () => {
  h = await startHarness({ worker: true });
  acct = await signUp(h.app, 'Contract');
  paths = (await request(h.app).get('/openapi.json')).body.paths;
});
afterAll(() => h.close());

describe('unknown methods on known paths', () => {
  it('answer 405 problem+json with Allow listing the methods of that path', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/v1/contacts', 'GET, HEAD, POST'],
      ['DELETE', '/v1/accounts', 'POST'],
      ['POST', `/v1/contacts/${randomUUID()}`, 'DELETE, GET, HEAD, PATCH'],
      // A literal path wins over the `:id` path that also matches it.
      ['PATCH', '/v1/contacts/imports', 'GET, HEAD, POST'],
      ['DELETE', '/v1/contacts/imports', 'GET, HEAD, POST'],
      ['PUT', '/v1/lists/x/contacts/y', 'DELETE'],
      ['TRACE', '/v1/account', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await request(h.app)[method.toLowerCase() as 'put'](path).set(acct.auth);
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow, `${method} ${path}`).toBe(allow);
    }
  });

  it('are 405 for every documented path, for a method it does not document', async () => {
    for (const [path, ops] of Object.entries(paths)) {
      const method = ['put', 'patch', 'post', 'delete'].find((m) => !(m in ops))!;
      const res = await request(h.app)[method as 'put'](path.replace(/\{\w+\}/g, randomUUID()));
      expectProblem(res, 405, 'method_not_allowed');
      const allowed = res.headers.allow!.split(', ');
      for (const documented of Object.keys(ops)) expect(allowed, `${method} ${path}`).toContain(documented.toUpperCase());
    }
  });

  it('OPTIONS answers 204 with the same Allow (a literal path lists only its own methods)', async () => {
    for (const [path, allow] of [
      ['/v1/contacts/imports', 'GET, HEAD, POST'],
      [`/v1/contacts/${randomUUID()}`, 'DELETE, GET, HEAD, PATCH'],
    ]) {
      const res = await request(h.app).options(path!);
      expect(res.status, path).toBe(204);
      expect(res.headers.allow, path).toBe(allow);
    }
  });

  it('unknown paths stay 404', async () => {
    expectProblem(await request(h.app).put('/v1/nothing-here'), 404, 'not_found');
  });
});

describe('the OpenAPI document says what the server does', () => {
  it('documents 403 on every authenticated operation and not on public ones', () => {
    for (const { method, path, op } of operations()) {
      expect(Object.keys(op.responses).includes('403'), `${method} ${path}`).toBe(Boolean(op.security?.length));
    }
  });

  it('documents the Idempotency-Key header on every mutating customer operation (staff routes keep no replays)', () => {
    for (const { method, path, op } of operations()) {
      const header = op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      const customer = op.security?.some((s) => CUSTOMER_SECURITY_SCHEME in s) ?? false;
      expect(Boolean(header), `${method} ${path}`).toBe(customer && method !== 'GET');
      if (header) expect(header.schema).toMatchObject({ type: 'string', pattern: expect.any(String) });
    }
  });

  it('documents staff operations under their own security scheme, with the roles each admits', () => {
    const doc = operations();
    const staff = doc.filter(({ op }) => op.security?.some((s) => STAFF_SECURITY_SCHEME in s));
    expect(staff.map(({ method, path }) => `${method} ${path}`)).toContain('GET /staff/v1/me');
    for (const { method, path, op } of staff) {
      expect(path.startsWith('/staff/v1/'), `${method} ${path}`).toBe(true);
      expect(op.security, `${method} ${path}`).toHaveLength(1);
      expect(Object.keys(op.security![0]!)).toEqual([STAFF_SECURITY_SCHEME]);
    }
    expect(paths['/staff/v1/staff-users']!.get!.security).toEqual([{ [STAFF_SECURITY_SCHEME]: ['admin'] }]);
  });

  it('documents cursors as opaque, IPs and emails by format, and the real limits', () => {
    const query = (path: string, name: string) => paths[path]!.get!.parameters!.find((p) => p.name === name)!.schema;
    expect(query('/v1/contacts', 'cursor')).toMatchObject({ type: 'string', description: expect.stringContaining('Opaque') });
    expect(query('/v1/contacts/imports/{id}/errors', 'after_row')).toMatchObject({ minimum: 0, maximum: 2147483647 });
    expect((query('/v1/contacts/imports', 'limit') as { maximum: number }).maximum).toBe(200);
    const contact = paths['/v1/contacts']!.post!.requestBody!.content['application/json']!.schema as {
      properties: { optIn: { properties: { ip: unknown } }; attributes: { maxProperties: number } };
    };
    expect(JSON.stringify(contact.properties.optIn.properties.ip)).toContain('"format":"ipv4"');
    expect(JSON.stringify(contact.properties.optIn.properties.ip)).toContain('"format":"ipv6"');
    expect(contact.properties.attributes.maxProperties).toBe(100);
    const signUpBody = paths['/v1/accounts']!.post!.requestBody!.content['application/json']!.schema as {
      properties: { email: { pattern: string; maxLength: number } };
    };
    expect(signUpBody.properties.email).toMatchObject({ maxLength: 320, pattern: expect.stringContaining('@') });
    const importQuery = paths['/v1/contacts/imports']!.post!.parameters!.find((p) => p.name === 'default_country')!.schema;
    expect(importQuery.enum).toEqual(expect.arrayContaining(['US', 'DE', 'GB']));
    expect(importQuery.enum).not.toContain('AA');
    const keyBody = paths['/v1/api-keys']!.post!.requestBody!.content['application/json']!.schema as {
      properties: { scopes: { uniqueItems: boolean } };
    };
    expect(keyBody.properties.scopes.uniqueItems).toBe(true);
  });
});

describe('the server enforces what the document says', () => {
  it('a created data subject request answers the properties its documented 201 requires (the process status only on GET)', async () => {
    const res = await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send({ type: 'access', phone: '+14155552671' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const documented = (op: Operation) =>
      (op.responses['201'] as { content: Record<string, { schema: { required: string[] } }> }).content['application/json']!.schema;
    const customer = documented(paths['/v1/data-subject-requests']!.post!);
    expect(customer.required.filter((name) => !(name in res.body))).toEqual([]);
    expect(customer.required).not.toContain('process');
    expect(documented(paths['/staff/v1/data-subject-requests']!.post!).required).not.toContain('process');
    // A request about a deleted account's data is 410 (its data key destroyed): documented, as the fuzzer found it answered.
    expect(Object.keys(paths['/staff/v1/data-subject-requests']!.post!.responses)).toContain('410');
  });

  it('refuses a default_country that is no region code with 422 naming it', async () => {
    for (const country of ['AA', 'ZZ', 'us']) {
      const res = await uploadCsv(h.app, acct.auth, csvOf(['phone'], [['4155550100']]), { default_country: country });
      expectProblem(res, 422, 'validation');
      expect(res.body.errors).toEqual([{ field: 'query.default_country', reason: expect.stringContaining('region code') }]);
    }
  });

  it('refuses repeated scopes with 422', async () => {
    const res = await request(h.app)
      .post('/v1/api-keys')
      .set(acct.auth)
      .send({ name: 'dup', scopes: ['read', 'read'] });
    expectProblem(res, 422, 'validation');
    expect(res.body.errors).toEqual([{ field: 'body.scopes', reason: 'must not repeat a scope' }]);
  });

  it('refuses NUL characters in stored text with 422, never 500', async () => {
    expectProblem(await request(h.app).post('/v1/api-keys').set(acct.auth).send({ name: 'a\u0000b' }), 422, 'validation');
    expectProblem(await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'a\u0000b' }), 422, 'validation');
    // Blank after trimming (no-break space, BOM, ideographic space) is refused, as the documented pattern says.
    for (const blank of ['\u00a0', ' \ufeff ', '\u3000']) {
      expectProblem(await request(h.app).post('/v1/lists').set(acct.auth).send({ name: blank }), 422, 'validation');
    }
    // …and the document says the same: its pattern refuses what the server refuses.
    const doc = (await request(h.app).get('/openapi.json')).body;
    const namePattern = new RegExp(
      doc.paths['/v1/lists'].post.requestBody.content['application/json'].schema.properties.name.pattern as string,
    );
    expect(['\u00a0', ' \ufeff ', '\u3000', 'a\u0000b'].map((v) => namePattern.test(v))).toEqual([false, false, false, false]);
    expect(namePattern.test(' VIP ')).toBe(true);
    const trimmed = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: ' \u00a0VIP\u3000' });
    expect(trimmed.status).toBe(201);
    expect(trimmed.body.name).toBe('VIP');
    const optIn = { phone: '+14155550100', optIn: { source: 'web\u0000form' } };
    expectProblem(await request(h.app).post('/v1/contacts').set(acct.auth).send(optIn), 422, 'validation');
    const res = await uploadCsv(h.app, acct.auth, csvOf(['phone'], [['+14155550100']]), { name_column: 'a\u0000b' });
    expectProblem(res, 422, 'validation');
  });

  it('accepts after_row up to its documented maximum and refuses beyond it', async () => {
    const imp = await uploadCsv(h.app, acct.auth, csvOf(['phone'], [['+14155550101']]));
    expect(imp.status).toBe(202);
    const url = `/v1/contacts/imports/${imp.body.id}/errors`;
    const atMax = await request(h.app).get(url).query({ after_row: 2147483647 }).set(acct.auth);
    expect(atMax.status).toBe(200);
    expect(atMax.body).toEqual({ data: [] });
    expectProblem(await request(h.app).get(url).query({ after_row: 2147483648 }).set(acct.auth), 422, 'validation');
  });
});

describe('conflicts', () => {
  it('a unique violation no service handled is 409 without the driver text and without suggesting a retry', async () => {
    const app = express();
    app.post('/twice', async () => {
      await h.deps.orm.em.transactional(async (em) => {
        await em.execute('create temporary table twice (email text unique) on commit drop');
        await em.execute("insert into twice values ('dup@example.com'), ('dup@example.com')");
      });
    });
    app.use(problemErrorHandler(h.deps.logger));
    const res = await request(app).post('/twice');
    expectProblem(res, 409, 'conflict');
    expect(res.body.detail).toBe('a resource with the same unique value already exists; retrying the same request will not succeed');
  });
});

describe('Temporal error text never reaches the client', () => {
  it('an import that cannot be started is 503 with a stable reason, on the import too', async () => {
    const closed = await Connection.connect({ address: h.config.TEMPORAL_ADDRESS });
    await closed.close();
    const app = createApp({ ...h.deps, temporal: new Client({ connection: closed }) });
    const res = await uploadCsv(app, acct.auth, csvOf(['phone'], [['+14155550102']]));
    expectProblem(res, 503, 'unavailable');
    expect(res.body.detail).toBe('the import could not be started; try again later');
    expect(res.headers['retry-after']).toBe('30');
    const [row] = await h.deps.orm.em
      .fork()
      .execute<{ failure: string }[]>("select failure from contact_imports where account_id = ? and status = 'failed'", [acct.accountId]);
    expect(row!.failure).toBe('the import could not be started');
  });
});

describe('every body in the document is typed', () => {
  /** Where a schema says nothing about its value: no type, reference, combination, enum or constant. */
  const untyped = (node: unknown, where: string, found: string[]): string[] => {
    if (Array.isArray(node)) node.forEach((x, i) => untyped(x, `${where}/${i}`, found));
    if (!node || typeof node !== 'object') return found;
    const schemaAt = (s: unknown, at: string) => {
      const keys = s && typeof s === 'object' ? Object.keys(s) : [];
      if (!['type', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'not'].some((k) => keys.includes(k))) found.push(at);
    };
    for (const [key, value] of Object.entries(node)) {
      if (['schema', 'items', 'additionalProperties'].includes(key) && value && typeof value === 'object')
        schemaAt(value, `${where}/${key}`);
      if (key === 'properties' && value && typeof value === 'object')
        for (const [name, p] of Object.entries(value)) schemaAt(p, `${where}/properties/${name}`);
      if (['anyOf', 'oneOf', 'allOf'].includes(key) && Array.isArray(value)) value.forEach((s, i) => schemaAt(s, `${where}/${key}/${i}`));
      untyped(value, `${where}/${key}`, found);
    }
    return found;
  };

  it('has a typed schema for every request and success response, down to array items and properties', () => {
    expect(untyped(paths, '', [])).toEqual([]);
    const missing = operations().flatMap(({ method, path, op }) =>
      Object.entries(op.responses)
        .filter(([status, r]) => status.startsWith('2') && status !== '204' && !(r as { content?: unknown }).content)
        .map(([status]) => `${method} ${path} ${status}`),
    );
    expect(missing).toEqual([]);
  });

  it('describes a batch item as a message body, and the account export one NDJSON record per line', () => {
    const batch = paths['/v1/messages/batch']!.post!.requestBody!.content['application/json']!.schema as {
      properties: { messages: { items: { type: string; required: string[] } } };
    };
    expect(batch.properties.messages.items).toMatchObject({ type: 'object', required: ['to', 'from', 'body'] });
    const exported = paths['/v1/account/export/{token}']!.get!.responses['200'] as { content: Record<string, { schema: object }> };
    expect(Object.keys(exported.content)).toEqual(['application/x-ndjson']);
  });
});
