import { randomUUID } from 'node:crypto';
import type { Express, Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { STAFF_ROLES, type StaffRole } from '../services/staff/staff-roles';
import { expectProblem } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { customerRoutes, documentedOperations, staffOperations, type DocumentedOperation } from './support/routes';
import { HOLDER_SECURITY_SCHEME } from '../api/http/define-route';
import { createStaffUser, staffBearer, staffSignIn, type TestStaffUser } from './support/staff';

let h: Harness;
/** The product's app with its auth clock at `now`: each sign-in of the same user takes a TOTP step of its own. */
let app: Express;
let now = Date.UTC(2031, 1, 3, 8, 0, 5);
const users = {} as Record<StaffRole, TestStaffUser>;
let staffOps: (DocumentedOperation & { roles: string[] })[] = [];

/** A fresh token of `role`'s user: a route that revokes it (logout) then spoils no other case. */
let signIns = 0;
async function freshToken(role: StaffRole): Promise<string> {
  now += 30_000;
  // One sign-in per role and route outruns the per-address limit of public routes: spread them.
  return staffSignIn(app, users[role], now, `198.51.100.${++signIns % 250}`);
}

const tokens: Partial<Record<StaffRole, string>> = {};
/**
 * The role's token for one case: shared between cases (sign-ins are limited per address), except
 * that logging out revokes it, so that case gets a token of its own.
 */
async function tokenFor(role: StaffRole, op: DocumentedOperation): Promise<string> {
  if (op.method === 'DELETE' && op.path === '/staff/v1/sessions/current') return freshToken(role);
  tokens[role] ??= await freshToken(role);
  return tokens[role];
}

/** Calls an operation with fresh UUIDs for its path parameters. */
function send(op: DocumentedOperation, headers: Record<string, string>) {
  const method = op.method.toLowerCase() as 'get';
  const path = op.path.replace(/\{\w+\}/g, () => randomUUID());
  return request(app)[method](path).set(headers);
}

/** Every path and method the Express router serves, read from its stack (not from the document). */
function servedRoutes(served: Express): string[] {
  const found: string[] = [];
  const walk = (stack: { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          found.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack as typeof stack);
      }
    }
  };
  walk((served as unknown as { router: Router }).router.stack as Parameters<typeof walk>[0]);
  return found;
}

beforeAll(async () => {
  h = await startHarness();
  app = createApp({ ...h.deps, temporal: h.temporal }, { authClock: () => now });
  for (const role of STAFF_ROLES) users[role] = await createStaffUser(h, role);
  staffOps = await staffOperations(app);
});
afterAll(() => h.close());

describe('staff routes, read from the route definitions', () => {
  it('every route under /staff/ takes a staff token except the sign-in and the enrolment, and no route elsewhere takes one', async () => {
    const ops = await documentedOperations(app);
    const staffKeys = staffOps.map((op) => `${op.method} ${op.path}`);
    const underStaff = ops.filter((op) => op.path.startsWith('/staff/')).map((op) => `${op.method} ${op.path}`);
    expect(underStaff.sort()).toEqual([...staffKeys, 'POST /staff/v1/sessions', 'POST /staff/v1/enrolments'].sort());
    expect(staffOps.every((op) => op.path.startsWith('/staff/v1/'))).toBe(true);
    expect(staffOps.length).toBeGreaterThanOrEqual(5);
    for (const op of staffOps) {
      expect(op.roles.length, `${op.method} ${op.path} lists no role`).toBeGreaterThan(0);
      for (const role of op.roles) expect(STAFF_ROLES).toContain(role);
    }
  });

  it('the document shows every staff route the router serves (none is defined outside defineRoute)', async () => {
    const documented = (await documentedOperations(app)).map((op) => `${op.method} ${op.path}`);
    const served = servedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/staff/'));
    expect(served.length).toBeGreaterThan(0);
    for (const route of served) expect(documented, `${route} is served but not documented`).toContain(route);
  });

  it('the document shows every customer route the router serves, and the holder session as a cookie scheme', async () => {
    const documented = (await documentedOperations(app)).map((op) => `${op.method} ${op.path}`);
    const served = servedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/v1/'));
    expect(served.length).toBeGreaterThanOrEqual(100);
    for (const route of served) expect(documented, `${route} is served but not documented`).toContain(route);
    const doc = await request(app).get('/openapi.json');
    expect(doc.body.components.securitySchemes[HOLDER_SECURITY_SCHEME]).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: '__Host-mss_session',
    });
  });
});

describe('staff role matrix', () => {
  it.each(STAFF_ROLES)('role %s: the routes listing the role answer it, every other staff route is 403 naming the roles', async (role) => {
    // One sign-in per role, again only after a route that may have revoked the token (sign-ins share a public rate limit).
    for (const op of staffOps) {
      const res = await send(op, staffBearer(await tokenFor(role, op)));
      const route = `${op.method} ${op.path} as ${role}`;
      if (op.roles.includes(role)) {
        expect([401, 403], `${route}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
        expect(res.status, route).toBeLessThan(500);
      } else {
        expectProblem(res, 403, 'forbidden');
        expect(res.body.detail, route).toBe(`this endpoint is for staff with the role ${op.roles.join(' or ')}; yours is ${role}`);
      }
    }
  });

  it('matches the roles each route was built for', () => {
    const matrix = Object.fromEntries(staffOps.map((op) => [`${op.method} ${op.path}`, op.roles]));
    expect(matrix).toMatchObject({
      'GET /staff/v1/me': [...STAFF_ROLES],
      'DELETE /staff/v1/sessions/current': [...STAFF_ROLES],
      'POST /staff/v1/staff-users': ['admin'],
      'GET /staff/v1/staff-users': ['admin'],
      'POST /staff/v1/staff-users/{id}/disable': ['admin'],
      'POST /staff/v1/staff-users/{id}/reset-enrolment': ['admin'],
      'POST /staff/v1/breaches': ['security', 'privacy'],
      'GET /staff/v1/breaches': ['security', 'privacy'],
      'GET /staff/v1/breaches/{id}': ['security', 'privacy'],
      'POST /staff/v1/breaches/{id}/approval': ['security', 'privacy'],
      'POST /staff/v1/breaches/{id}/updates': ['security', 'privacy'],
      'POST /staff/v1/breaches/{id}/close': ['security', 'privacy'],
      'POST /staff/v1/subprocessors': ['privacy'],
      'GET /staff/v1/subprocessors': ['privacy', 'security', 'admin'],
      'GET /staff/v1/subprocessors/{id}/objections': ['privacy'],
      'POST /staff/v1/subprocessors/{id}/objections/{objectionId}/resolution': ['privacy'],
      'POST /staff/v1/policies': ['privacy'],
      'POST /staff/v1/data-subject-requests': ['privacy', 'admin'],
      'GET /staff/v1/data-subject-requests': ['privacy', 'admin'],
      'GET /staff/v1/data-subject-requests/{id}': ['privacy', 'admin'],
      'POST /staff/v1/data-subject-requests/{id}/verify-identity': ['privacy', 'admin'],
      'POST /staff/v1/data-subject-requests/{id}/extensions': ['privacy', 'admin'],
      'POST /staff/v1/data-subject-requests/{id}/complete': ['privacy', 'admin'],
      'POST /staff/v1/accounts/{id}/terminate': ['privacy', 'admin'],
      'POST /staff/v1/accounts/{id}/confirm-deletion': ['privacy', 'admin'],
      'POST /staff/v1/accounts/{id}/reactivate': ['privacy', 'admin'],
      'GET /staff/v1/accounts/{id}/termination': ['privacy', 'admin', 'support'],
      'GET /staff/v1/accounts/{id}/billing': ['support', 'admin'],
      'POST /staff/v1/accounts/{id}/billing/credits': ['admin'],
    });
  });
});

describe('customer and staff credentials do not mix', () => {
  it('an API key or a customer session token on any staff route is 401', async () => {
    const email = `holder-${randomUUID()}@example.com`;
    const password = 'correct horse battery staple';
    const signedUp = await request(app).post('/v1/accounts').send({ accountName: 'Mixer', email, password });
    expect(signedUp.status).toBe(201);
    const session = await request(app).post('/v1/sessions').send({ email, password });
    expect(session.status).toBe(201);
    for (const token of [signedUp.body.apiKey.key as string, session.body.token as string]) {
      for (const op of staffOps) {
        const res = await send(op, { Authorization: `Bearer ${token}` });
        expectProblem(res, 401, 'unauthorized');
        expect(res.body.detail).toBe('send a staff token from POST /staff/v1/sessions as "Authorization: Bearer mst_…"');
      }
    }
  });

  it('a staff token on any customer route is 401', async () => {
    const token = await freshToken('admin');
    const routes = await customerRoutes(app);
    expect(routes.length).toBeGreaterThan(20);
    // The holder's own routes take only the session cookie; every other customer route an API key.
    const holderOnly = new Set(
      (await documentedOperations(app))
        .filter((op) => op.security?.every((s) => HOLDER_SECURITY_SCHEME in s))
        .map((op) => `${op.method} ${op.path}`),
    );
    // 10 before the emailed-link flows and members (8 more) and Google unlink (1).
    expect(holderOnly.size).toBe(19);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await send({ method, path }, staffBearer(token));
      expectProblem(res, 401, 'unauthorized');
      expect(res.body.detail).toBe(
        holderOnly.has(route)
          ? 'sign in with POST /v1/sessions: this endpoint takes the session cookie only'
          : 'a staff token only works on /staff/v1/*; call this endpoint with an API key',
      );
    }
  });
});
