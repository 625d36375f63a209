import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';

/**
 * Staff billing: support and admins read an account's billing state and this month's usage; only
 * admins grant a manual credit, which needs a reason and is audited with it (the role matrix in
 * tests/staff-roles.test.ts covers every role on both routes).
 */
let h: Harness;
let account: TestAccount;
let admin: { Authorization: string };
let support: { Authorization: string };
let adminId = '';

const sql = async <T>(q: string, p: unknown[] = []) => (await h.deps.pgPool.query(q, p)).rows as T[];
const billingPath = (id: string) => `/staff/v1/accounts/${id}/billing`;

beforeAll(async () => {
  h = await startHarness();
  account = await signUp(h.app, 'Billed by staff');
  const adminUser = await createStaffUser(h, 'admin');
  adminId = adminUser.id;
  admin = staffBearer(await staffSignIn(h.app, adminUser));
  support = staffBearer(await staffSignIn(h.app, await createStaffUser(h, 'support')));
  // This month: 1,234 segments that cost 9.7486 USD (the usage path writes this row as messages are sent).
  await sql(
    `insert into billing_period_usage (account_id, period_start, segments, cost_micros)
     values ($1, date_trunc('month', now() at time zone 'UTC')::date, 1234, 9748600)`,
    [account.accountId],
  );
});
afterAll(async () => {
  await h?.close();
});

describe('staff billing', () => {
  it("support reads an account's billing state and this month's usage", async () => {
    const res = await request(h.app).get(billingPath(account.accountId)).set(support);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      accountId: account.accountId,
      accountStatus: 'active',
      paymentMethod: null,
      dunning: null,
      sendingSuspended: false,
      records: [],
      usage: { currency: 'usd', periodSegments: 1234, periodSpend: '9.7486', monthlyCap: null, capReached: false },
    });
  });

  it('an admin grants a credit with its reason: a billing record, shown, and one audit entry naming the admin and the reason', async () => {
    const granted = await request(h.app)
      .post(`${billingPath(account.accountId)}/credits`)
      .set(admin)
      .send({ amount: 1500, currency: 'usd', reason: 'carrier outage on 2 Dec' });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body.records).toEqual([
      expect.objectContaining({
        kind: 'credit',
        status: 'granted',
        credit: { amount: 1500, currency: 'usd' },
        reason: 'carrier outage on 2 Dec',
        invoice: null,
        paymentMethod: null,
      }),
    ]);
    // The customer sees it too.
    const own = await request(h.app).get('/v1/billing').set(account.auth);
    expect(own.body.records).toEqual(granted.body.records);
    const audit = await sql<{ actor_type: string; actor_id: string; target_id: string; details: Record<string, unknown> }>(
      `select actor_type, actor_id, target_id, details from audit_log where account_id = $1 and action = 'billing.credit_granted'`,
      [account.accountId],
    );
    expect(audit).toEqual([
      {
        actor_type: 'staff',
        actor_id: adminId,
        target_id: granted.body.records[0].id,
        details: expect.objectContaining({ amount: 1500, currency: 'usd', reason: 'carrier outage on 2 Dec', role: 'admin' }),
      },
    ]);
  });

  it('refuses support, bad amounts, currencies and reasons, extra fields and unknown accounts, recording nothing', async () => {
    const credit = (body: Record<string, unknown>, who = admin, id = account.accountId) =>
      request(h.app)
        .post(`${billingPath(id)}/credits`)
        .set(who)
        .send(body);
    const valid = { amount: 100, currency: 'usd', reason: 'goodwill credit' };
    expectProblem(await credit(valid, support), 403, 'forbidden');
    for (const bad of [
      { ...valid, amount: 0 },
      { ...valid, amount: -5 },
      { ...valid, amount: 1.5 },
      { ...valid, amount: '100' },
      { ...valid, amount: 10_000_001 },
      { ...valid, currency: 'USD' },
      { ...valid, currency: 'dollars' },
      { ...valid, reason: 'no' },
      { ...valid, reason: 'x'.repeat(501) },
      { amount: 100, currency: 'usd' },
      { ...valid, extra: true },
    ]) {
      expectProblem(await credit(bad), 422, 'validation');
    }
    expectProblem(await credit(valid, admin, '01a24aab-0000-7000-8000-000000000000'), 404, 'not_found');
    expectProblem(await request(h.app).get(billingPath('01a24aab-0000-7000-8000-000000000000')).set(support), 404, 'not_found');
    expectProblem(await request(h.app).get(billingPath('not-a-uuid')).set(support), 422, 'validation');
    expectProblem(await request(h.app).get(billingPath(account.accountId)), 401);
    const credits = await sql<{ n: number }>(`select count(*)::int as n from billing_records where account_id = $1 and kind = 'credit'`, [
      account.accountId,
    ]);
    expect(credits[0]!.n).toBe(1);
  });
});
