import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLDER_SECURITY_SCHEME } from '../api/http/define-route';
import { MEMBERSHIP_ROLES, type MembershipRole } from '../db/entities/account-membership';
import { startHarness, type Harness } from './support/harness';
import { addMemberDirectly, HOLDER_PASSWORD, signInHolder, signUpHolder } from './support/holders';
import { documentedOperations, type DocumentedOperation } from './support/routes';

let h: Harness;
const sessions = new Map<MembershipRole, Record<string, string>>();

beforeAll(async () => {
  h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  const owner = await signUpHolder(h, 'Role matrix');
  sessions.set('owner', owner.session);
  for (const role of MEMBERSHIP_ROLES.filter((r) => r !== 'owner')) {
    const member = await signUpHolder(h, `Own account of the ${role}`);
    await addMemberDirectly(h, owner.accountId, member.userId, role);
    sessions.set(role, await signInHolder(h, member.email, HOLDER_PASSWORD, owner.accountId));
  }
});
afterAll(() => h?.close());

const rolesOf = (op: DocumentedOperation) => op.security?.find((s) => HOLDER_SECURITY_SCHEME in s)?.[HOLDER_SECURITY_SCHEME] ?? null;
const ROLE_REFUSAL = /^your role in this account \((\w+)\) does not allow this; it needs /;

describe('the holder role matrix, from the route declarations', () => {
  it('every cookie route refuses exactly the roles it does not list (403 naming the role) and lets the listed ones past the check', async () => {
    const ops = (await documentedOperations(h.app)).filter((op) => rolesOf(op) !== null);
    expect(ops.length).toBeGreaterThan(60);
    const wrong: string[] = [];
    for (const op of ops) {
      const allowed = rolesOf(op)!;
      expect(allowed.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
      const path = op.path.replace(/\{[^}]+\}/g, () => randomUUID());
      for (const role of MEMBERSHIP_ROLES) {
        // A body no route accepts: an allowed call stops at validation (422), so nothing is changed by the probe.
        let call = request(h.app)[op.method.toLowerCase() as 'post'](path).set(sessions.get(role)!);
        if (op.method !== 'GET') call = call.send({ probe: 1 });
        const res = await call;
        const refusedForRole = res.status === 403 && ROLE_REFUSAL.test(String(res.body.detail));
        if (refusedForRole === allowed.includes(role))
          wrong.push(`${op.method} ${op.path} as ${role} -> ${res.status} ${res.body.detail ?? ''}`);
        if (res.status === 401) wrong.push(`${op.method} ${op.path} as ${role} -> 401 (the probe ended the session?)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('mirrors the API-key scopes: owner and admin everything; developer no admin routes; billing reads and the billing routes only', async () => {
    const byRoute = new Map((await documentedOperations(h.app)).map((op) => [`${op.method} ${op.path}`, rolesOf(op)]));
    expect(byRoute.get('POST /v1/api-keys')).toEqual(['owner', 'admin']);
    expect(byRoute.get('POST /v1/webhook-endpoints')).toEqual(['owner', 'admin']);
    expect(byRoute.get('POST /v1/account/termination')).toEqual(['owner', 'admin']);
    expect(byRoute.get('PATCH /v1/billing')).toEqual(['owner', 'admin', 'billing']);
    expect(byRoute.get('POST /v1/billing/checkout-sessions')).toEqual(['owner', 'admin', 'billing']);
    expect(byRoute.get('GET /v1/billing')).toEqual(['owner', 'admin', 'developer', 'billing']);
    expect(byRoute.get('POST /v1/messages')).toEqual(['owner', 'admin', 'developer']);
    expect(byRoute.get('POST /v1/account/invitations')).toEqual(['owner', 'admin']);
    expect(byRoute.get('DELETE /v1/account/members/{id}')).toEqual(['owner', 'admin']);
    expect(byRoute.get('GET /v1/account/members')).toEqual(['owner', 'admin', 'developer', 'billing']);
  });
});
