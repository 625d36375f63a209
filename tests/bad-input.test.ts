import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { signUpHolder } from './support/holders';
import { HOLDER_SECURITY_SCHEME, STAFF_SECURITY_SCHEME } from '../api/http/define-route';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';
import { TerminationKey } from '../services/termination/termination-key';
import { signTerminationToken } from '../services/termination/termination-tokens';

let h: Harness;
let acct: TestAccount;
/** The holder of `acct`, signed in. */
let holderSession: Record<string, string>;
/** A staff token per role: each staff route is probed with one of a role it admits, customer routes with the account's key. */
const staffAuth = new Map<string, { Authorization: string }>();

interface Operation {
  method: string;
  path: string;
  secured: boolean;
  staff: boolean;
  /** A holder-only route: probed with the account holder's session, not the key. */
  holder: boolean;
  /** The staff roles a staff route admits. */
  roles: string[];
  jsonBody: boolean;
  streamBody: boolean;
  query: string[];
  pathParams: string[];
}

let operations: Operation[] = [];

const BREACH_ASSESSMENT = {
  description: 'd',
  nature: 'n',
  subjectCategories: ['recipients'],
  recordCategories: ['phone numbers'],
  approxSubjects: 10,
  approxRecords: 20,
  likelyConsequences: 'c',
  measures: 'm',
  contact: 'dpo@example.com',
};
const CAMPAIGN = {
  name: 'Spring sale',
  template: 'Hi {{name | "there"}}',
  from: '+14155550101',
  audience: { listIds: [randomUUID()], excludeListIds: [randomUUID()] },
  startAt: '2030-01-01T09:00:00Z',
  ratePerSecond: 10,
  quietHours: { start: '09:00', end: '20:00' },
};

/** A valid body per JSON route, so each field can be broken on its own. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  'POST /v1/accounts': { accountName: 'Shop', email: 'x@example.com', password: 'long enough password' },
  'POST /v1/api-keys': { name: 'k', scopes: ['read'] },
  'POST /v1/sessions': { email: 'x@example.com', password: 'long enough password', accountId: randomUUID() },
  'POST /v1/contacts': { phone: '+14155550100', name: 'n', attributes: { a: 'b' }, optIn: { source: 's' } },
  'PATCH /v1/contacts/{id}': { phone: '+14155550100', name: 'n', attributes: { a: 'b' }, optIn: { source: 's' } },
  'POST /v1/lists': { name: 'l' },
  'PATCH /v1/lists/{id}': { name: 'l' },
  'POST /v1/lists/{id}/contacts': { contactIds: [randomUUID()] },
  'POST /v1/opt-outs': { phone: '+14155550100', reason: 'asked' },
  'DELETE /v1/opt-outs/{id}': { reason: 'consent re-collected' },
  'POST /v1/sender-numbers': { phone: '+14155550100', label: 'main line' },
  'PUT /v1/account/messaging': { companyName: 'Acme', helpText: 'Acme help: reply STOP to opt out' },
  'PATCH /v1/billing': { monthlySpendCap: '250.00' },
  'POST /v1/messages': { to: '+14155550100', from: '+14155550101', body: 'hello' },
  'POST /v1/messages/batch': { messages: [{ to: '+14155550100', from: '+14155550101', body: 'hello' }] },
  'POST /v1/webhook-endpoints': { url: 'https://1.1.1.1/hook', eventTypes: ['message.status'], description: 'd' },
  'PATCH /v1/webhook-endpoints/{id}': { url: 'https://1.1.1.1/hook', eventTypes: ['message.inbound'], description: 'd', status: 'active' },
  'POST /v1/campaigns': CAMPAIGN,
  'PATCH /v1/campaigns/{id}': CAMPAIGN,
  'POST /staff/v1/sessions': { email: 'x@example.com', password: 'long enough password', code: '123456' },
  'POST /staff/v1/staff-users': { email: 'x@example.com', role: 'support' },
  'POST /staff/v1/enrolments': { token: `msn_${'a'.repeat(43)}`, password: 'long enough password' },
  'POST /staff/v1/breaches': {
    ...BREACH_ASSESSMENT,
    awareAt: '2026-11-24T10:00:00Z',
    affectedAccounts: [randomUUID()],
    noticeRequired: true,
  },
  'POST /staff/v1/breaches/{id}/approval': { assessment: BREACH_ASSESSMENT },
  'POST /staff/v1/breaches/{id}/updates': { summary: 'more is known' },
  'POST /staff/v1/subprocessors': {
    vendor: 'newvendor',
    name: 'New Vendor',
    purpose: 'p',
    locations: ['EU'],
    recipientData: true,
    effectiveAt: '2027-06-01T00:00:00Z',
  },
  'POST /staff/v1/subprocessors/{id}/objections/{objectionId}/resolution': { status: 'resolved' },
  'POST /v1/subprocessors/{id}/objections': { reason: 'not in our region' },
  'POST /staff/v1/policies': { kind: 'dpa', version: 'v9', text: 'the text', material: false, effectiveAt: '2027-06-01T00:00:00Z' },
  'POST /v1/data-subject-requests': { type: 'access', phone: '+14155550100' },
  'POST /staff/v1/data-subject-requests': {
    accountId: randomUUID(),
    type: 'erasure',
    requesterEmail: 'x@example.com',
    phone: '+14155550100',
  },
  'POST /staff/v1/data-subject-requests/{id}/extensions': { days: 10, reason: 'complex request' },
  'POST /staff/v1/data-subject-requests/{id}/complete': { note: 'done' },
  'POST /v1/account/termination': { disposition: 'delete', deleteEarly: false },
  'POST /v1/account/termination/confirm': { token: `msc_${'A'.repeat(60)}.${'B'.repeat(43)}` },
  'POST /staff/v1/accounts/{id}/terminate': { reason: 'asked', disposition: 'delete', deleteEarly: false },
  'POST /staff/v1/accounts/{id}/reactivate': { reason: 'by mistake' },
  'PUT /v1/account/consents': { product_analytics: true, marketing_email: false },
  'PATCH /v1/account/profile': { name: 'Ada', country: 'DE', taxId: 'DE123456789' },
  'POST /v1/holders/email-verifications': { token: `mse_${'a'.repeat(43)}` },
  'POST /v1/holders/account-claims': { token: `mse_${'a'.repeat(43)}` },
  'POST /v1/auth/google/link': { linkToken: `msl_${'a'.repeat(43)}`, password: 'long enough password' },
  'POST /v1/billing/checkout-sessions': { successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/back' },
  'POST /staff/v1/accounts/{id}/billing/credits': { amount: 500, currency: 'usd', reason: 'goodwill credit' },
  'POST /v1/account/password': { currentPassword: 'correct horse battery staple', newPassword: 'another long password' },
  'POST /v1/holders/email-verification-requests': { email: 'x@example.com' },
  'POST /v1/holders/password-reset-requests': { email: 'x@example.com' },
  'POST /v1/holders/password-resets': { token: `mse_${'a'.repeat(43)}`, newPassword: 'another long password' },
  'POST /v1/holders/email-changes': { token: `mse_${'a'.repeat(43)}` },
  'POST /v1/holders/invitation-acceptances': { token: `mse_${'a'.repeat(43)}`, password: 'another long password' },
  'POST /v1/account/invitation-acceptances': { token: `mse_${'a'.repeat(43)}` },
  'POST /v1/account/email-change-requests': { newEmail: 'x@example.com', currentPassword: 'correct horse battery staple' },
  'POST /v1/account/invitations': { email: 'x@example.com', role: 'developer' },
  'PATCH /v1/account/members/{id}': { role: 'billing' },
  'POST /v1/sessions/account': { accountId: randomUUID() },
};
const PHONE_ROUTES = ['POST /v1/contacts', 'PATCH /v1/contacts/{id}', 'POST /v1/opt-outs', 'POST /v1/sender-numbers'];

const key = (op: Operation) => `${op.method} ${op.path}`;
const url = (op: Operation, params: Record<string, string> = {}) =>
  op.path.replace(/\{(\w+)\}/g, (_, p: string) => params[p] ?? randomUUID());
/** A request for any method, so one loop can drive every operation. */
const open = (method: string, path: string) => request(h.app)[method.toLowerCase() as 'get'](path);
const authFor = (op: Operation) => (op.staff ? staffAuth.get(op.roles[0]!)! : op.holder ? holderSession : acct.auth);
let publicCalls = 0;
/** Public routes are limited per client address: each public call comes from its own, so no case meets the limit. */
const call = (op: Operation) => {
  const r = open(op.method, url(op));
  return op.secured ? r.set(authFor(op)) : r.set('X-Forwarded-For', `198.51.100.${(publicCalls++ % 250) + 1}`);
};
const wrongType = (v: unknown) => (typeof v === 'string' ? 12345 : 'not-the-right-type');

beforeAll(async () => {
  // Every secured route is probed with bad keys from one address: more failures than the default budget.
  h = await startHarness({ env: { AUTH_FAILURES_PER_MINUTE: '1000' } });
  acct = await signUp(h.app, 'Fuzzed');
  holderSession = (await signUpHolder(h, 'Fuzzed holder')).session;
  for (const role of ['admin', 'privacy', 'security', 'support'] as const) {
    staffAuth.set(role, staffBearer(await staffSignIn(h.app, await createStaffUser(h, role))));
  }
  const doc = (await request(h.app).get('/openapi.json')).body as {
    paths: Record<
      string,
      Record<
        string,
        {
          security?: Record<string, string[]>[];
          requestBody?: { content: Record<string, unknown> };
          parameters?: { in: string; name: string }[];
        }
      >
    >;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      secured: Boolean(op.security?.length),
      staff: Boolean(op.security?.some((s) => STAFF_SECURITY_SCHEME in s)),
      holder: Boolean(op.security?.length && op.security.every((s) => s[HOLDER_SECURITY_SCHEME] !== undefined)),
      roles: op.security?.find((s) => STAFF_SECURITY_SCHEME in s)?.[STAFF_SECURITY_SCHEME] ?? [],
      jsonBody: Boolean(op.requestBody?.content['application/json']),
      streamBody: Boolean(op.requestBody?.content['text/csv']),
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
    })),
  );
});
afterAll(() => h.close());

describe('bad input on every endpoint → 4xx problem+json, never 5xx', () => {
  it('knows a valid body for every JSON endpoint', () => {
    expect(
      operations
        .filter((o) => o.jsonBody)
        .map(key)
        .sort(),
    ).toEqual(Object.keys(VALID_BODIES).sort());
  });

  it('every secured endpoint refuses a missing, malformed or unknown key or staff token with 401', async () => {
    for (const op of operations.filter((o) => o.secured)) {
      const r = open(op.method, url(op));
      expectProblem(await r, 401, 'unauthorized');
      const malformed = open(op.method, url(op)).set('Authorization', 'Bearer nope');
      expectProblem(await malformed, 401, 'unauthorized');
      const unknown = open(op.method, url(op)).set('Authorization', `Bearer msk_000000000000_${'a'.repeat(32)}`);
      expectProblem(await unknown, 401, 'unauthorized');
      const unknownStaff = open(op.method, url(op)).set('Authorization', `Bearer mst_${'a'.repeat(43)}`);
      expectProblem(await unknownStaff, 401, 'unauthorized');
    }
  });

  it('every JSON endpoint: malformed JSON 400, empty object 422, unknown field 422, wrong types 422, oversize 413, wrong media type 415', async () => {
    for (const op of operations.filter((o) => o.jsonBody)) {
      const valid = VALID_BODIES[key(op)]!;
      expectProblem(await call(op).set('Content-Type', 'application/json').send('{"name": '), 400, 'malformed_body');
      expectProblem(await call(op).send({}), 422, 'validation');
      expectProblem(await call(op).send([valid]), 422, 'validation');

      const unknown = await call(op).send({ ...valid, surprise: true });
      expectProblem(unknown, 422, 'validation');
      expect(unknown.body.errors).toContainEqual({ field: 'body.surprise', reason: 'is not a known field' });

      for (const field of Object.keys(valid)) {
        const res = await call(op).send({ ...valid, [field]: wrongType(valid[field]) });
        expectProblem(res, 422, 'validation');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`body.${field}`);
      }
      expectProblem(await call(op).send({ ...valid, name: 'x'.repeat(2 * 1024 * 1024) }), 413, 'payload_too_large');
      expectProblem(await call(op).set('Content-Type', 'text/plain').send('phone=1'), 415, 'unsupported_media_type');
    }
  });

  it('every JSON endpoint: a body invalid in its Content-Encoding 400, unknown encoding or charset 415', async () => {
    const truncatedGzip = gzipSync(JSON.stringify({ padding: 'x'.repeat(200) })).subarray(0, 30);
    for (const op of operations.filter((o) => o.jsonBody)) {
      const json = () => call(op).set('Content-Type', 'application/json');
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await json().set('Content-Encoding', encoding).send('{"not":"compressed"}');
        expectProblem(res, 400, 'malformed_body');
        expect(res.body.detail).toBe('the body is not valid for its Content-Encoding');
      }
      expectProblem(await json().set('Content-Encoding', 'gzip').send(truncatedGzip), 400, 'malformed_body');
      expectProblem(await json().set('Content-Encoding', 'compress').send('{}'), 415, 'unsupported_media_type');
      expectProblem(await call(op).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415, 'unsupported_media_type');
    }
  });

  it('every endpoint with ids refuses a non-UUID id with 422 naming it', async () => {
    for (const op of operations.filter((o) => o.pathParams.length > 0)) {
      const params = Object.fromEntries(op.pathParams.map((p) => [p, 'not-a-uuid']));
      let r = open(op.method, url(op, params)).set(authFor(op));
      if (op.jsonBody) r = r.send(VALID_BODIES[key(op)]);
      const res = await r;
      expectProblem(res, 422, 'validation');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`params.${op.pathParams[0]}`);
    }
  });

  it('every endpoint with query parameters refuses unknown and out-of-range ones', async () => {
    for (const op of operations.filter((o) => o.query.length > 0)) {
      const bogus = await call(op).query({ bogus: '1' });
      expectProblem(bogus, 422, 'validation');
      if (op.query.includes('limit')) expectProblem(await call(op).query({ limit: '0' }), 422, 'validation');
      if (op.query.includes('cursor')) expectProblem(await call(op).query({ cursor: 'garbage' }), 422, 'validation');
    }
  });

  it('endpoints without a body refuse one', async () => {
    for (const op of operations.filter((o) => o.secured && !o.jsonBody && !o.streamBody && o.method !== 'GET')) {
      expectProblem(await call(op).send({ unexpected: 1 }), 422, 'validation');
    }
  });

  it('invalid phone numbers are 422 naming the phone field and the reason', async () => {
    const contact = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550111' });
    for (const route of PHONE_ROUTES) {
      const op = operations.find((o) => key(o) === route)!;
      for (const phone of ['12', '+1 555 0000', 'call me']) {
        const r = open(op.method, url(op, { id: contact.body.id })).set(acct.auth);
        const res = await r.send({ ...VALID_BODIES[route], phone });
        expectProblem(res, 422, 'validation');
        expect(res.body.errors[0]).toMatchObject({ field: 'phone', reason: expect.any(String) });
      }
    }
  });

  it('termination links: a malformed token is 422 naming it; a forged, expired, misused or not-yet-terminated one 404', async () => {
    const key = await new TerminationKey(h.deps.pgPool, h.deps.keys.master).get();
    const soon = new Date(Date.now() + 60_000);
    // Public routes are limited per address, and the cases above used this one's budget up.
    const from = { 'X-Forwarded-For': '203.0.113.77' };
    for (const token of ['x', 'mse_short.sig', `mse_${'A'.repeat(60)}.${'B'.repeat(43)}x`, `mse_${'A'.repeat(300)}`]) {
      const res = await request(h.app).get(`/v1/account/export/${token}`).set(from);
      expectProblem(res, 422, 'validation');
      expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))]).toEqual(['params.token']);
    }
    const notFound = [
      signTerminationToken(key, 'export', acct.accountId, new Date(Date.now() - 1000)), // expired
      signTerminationToken(key, 'confirm', acct.accountId, soon), // a confirmation token used as an export link
      signTerminationToken(randomBytes(32), 'export', acct.accountId, soon), // signed with another key
      signTerminationToken(key, 'export', acct.accountId, soon), // valid, but the account is not terminated
    ];
    for (const token of notFound) expectProblem(await request(h.app).get(`/v1/account/export/${token}`).set(from), 404, 'not_found');
    for (const token of [notFound[0]!.replace('mse_', 'msc_'), signTerminationToken(key, 'confirm', acct.accountId, soon)]) {
      expectProblem(await request(h.app).post('/v1/account/termination/confirm').set(from).send({ token }), 404, 'not_found');
    }
  });

  it('unknown routes are 404 problem+json', async () => {
    expectProblem(await request(h.app).get('/v1/nothing-here'), 404, 'not_found');
  });

  it('Google sign-in without GOOGLE_CLIENT_ID/SECRET (this harness): its public routes are 404 saying so', async () => {
    for (const res of [
      await request(h.app).get('/v1/auth/google/start').set('X-Forwarded-For', '198.51.100.251'),
      await request(h.app).get('/v1/auth/google/callback?code=c&state=s').set('X-Forwarded-For', '198.51.100.252'),
      await request(h.app)
        .post('/v1/auth/google/link')
        .set('X-Forwarded-For', '198.51.100.253')
        .send({ linkToken: `msl_${'a'.repeat(43)}`, password: 'long enough password' }),
    ]) {
      expectProblem(res, 404, 'not_found');
      expect(res.body.detail).toBe('Google sign-in is not configured on this deployment');
    }
  });
});
