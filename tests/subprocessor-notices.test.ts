import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carriersFor } from '../services/messaging/routing';
import { loadSubprocessorGate } from '../services/subprocessors/subprocessor-gate';
import { subprocessorStatusQuery } from '../workflows/notices/subprocessor';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { adminEmailOf, startNoticeStack, type NoticeStack } from './support/notices';
import { waitFor } from './support/outbox';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';

const DAY = 86_400_000;
/** The new carrier route under test, as routing would rank it: first choice once allowed. */
const NEW_ROUTE = 'routelab';
const CANDIDATES = [NEW_ROUTE, 'telnyx', 'twilio'];

let s: NoticeStack;
let privacy: { Authorization: string };
let keen: TestAccount;
let objector: TestAccount;
let reconciled: TestAccount;

const routesOf = async (accounts: TestAccount[]) => {
  const gate = await loadSubprocessorGate(
    s.h.deps.pgPool,
    accounts.map((a) => a.accountId),
  );
  return accounts.map((a) => carriersFor(gate, a.accountId, CANDIDATES));
};
const keysTo = async (account: TestAccount, processId: string) =>
  (await s.sim.control.emails(await adminEmailOf(s.h, account.accountId)))
    .map((e) => e.idempotencyKey)
    .filter((k) => k?.startsWith(`${processId}:`));

beforeAll(async () => {
  s = await startNoticeStack();
  privacy = staffBearer(await staffSignIn(s.app, await createStaffUser(s.h, 'privacy')));
  keen = await signUp(s.app, 'Keen');
  objector = await signUp(s.app, 'Objector');
  reconciled = await signUp(s.app, 'Reconciled');
});
afterAll(() => s?.close());

describe('subprocessor change (subprocessor:<id>): 30 days’ notice, objections enforced in routing', () => {
  it('the seeded DPA list is public and active', async () => {
    const res = await request(s.app).get('/v1/subprocessors');
    expect(res.status).toBe(200);
    const seeded = (res.body.data as { vendor: string; status: string }[]).filter((x) => x.status === 'active').map((x) => x.vendor);
    expect(seeded).toEqual(
      expect.arrayContaining(['aws', 'vercel', 'telnyx', 'twilio', 'stripe', 'resend', 'posthog', 'datadog', 'linear', 'notion']),
    );
  });

  it('an announcement with less than 30 days’ notice is refused, naming the rule', async () => {
    const body = { vendor: 'too-soon', name: 'Too Soon', purpose: 'x', locations: ['US'], recipientData: true };
    const res = await request(s.app)
      .post('/staff/v1/subprocessors')
      .set(privacy)
      .send({ ...body, effectiveAt: new Date(s.now().getTime() + 30 * DAY - 60_000).toISOString() });
    expectProblem(res, 422, 'validation');
    expect(res.body.errors).toEqual([
      { field: 'effectiveAt', reason: 'must be at least 30 days after the announcement (DPA notice period)' },
    ]);
  });

  it('a new carrier route announced today: not used before +30 d, used after for accounts without objection, never for the objecting one', async () => {
    const effectiveAt = new Date(s.now().getTime() + 30 * DAY + 60_000);
    const announced = await request(s.app)
      .post('/staff/v1/subprocessors')
      .set(privacy)
      .send({
        vendor: NEW_ROUTE,
        name: 'RouteLab Messaging',
        purpose: 'SMS delivery (additional carrier route)',
        locations: ['Canada'],
        recipientData: true,
        effectiveAt: effectiveAt.toISOString(),
      });
    expect(announced.status, JSON.stringify(announced.body)).toBe(201);
    const id = announced.body.id as string;
    const processId = `subprocessor:${id}`;
    const handle = s.env.client.workflow.getHandle(processId);
    expect(announced.body).toMatchObject({ status: 'pending', effectiveAt: effectiveAt.toISOString(), activatedAt: null });

    // At once: the public list shows it pending, the changelog has it, every active account is emailed once.
    const listed = (await request(s.app).get('/v1/subprocessors')).body.data.find((x: { id: string }) => x.id === id);
    expect(listed).toMatchObject({ status: 'pending', effectiveAt: effectiveAt.toISOString() });
    const changelog = await request(s.app).get('/v1/changelog');
    expect(changelog.body.data[0]).toMatchObject({ kind: 'subprocessor', title: 'New subprocessor: RouteLab Messaging' });
    await waitFor(
      () => handle.query(subprocessorStatusQuery),
      (st) => st.state === 'notice_period',
      30_000,
      100,
    );
    for (const a of [keen, objector, reconciled]) expect(await keysTo(a, processId)).toEqual([`${processId}:announcement:${a.accountId}`]);
    const banner = await request(s.app).get('/v1/notices').set(keen.auth);
    expect(banner.body.data.find((n: { processId: string }) => n.processId === processId)).toMatchObject({
      shownUntil: effectiveAt.toISOString(),
    });

    const objection = await request(s.app)
      .post(`/v1/subprocessors/${id}/objections`)
      .set(objector.auth)
      .send({ reason: 'Canada is outside our approved regions' });
    expect(objection.status).toBe(201);
    expectProblem(
      await request(s.app).post(`/v1/subprocessors/${id}/objections`).set(objector.auth).send({ reason: 'again' }),
      409,
      'conflict',
    );
    const other = await request(s.app)
      .post(`/v1/subprocessors/${id}/objections`)
      .set(reconciled.auth)
      .send({ reason: 'Need the DPA annex first' });
    expect(other.status).toBe(201);
    const unresolved = await request(s.app)
      .post(`/staff/v1/subprocessors/${id}/objections/${objection.body.id}/resolution`)
      .set(privacy)
      .send({ status: 'unresolved' });
    expect(unresolved.body).toMatchObject({ status: 'unresolved', accountId: objector.accountId });
    const resolved = await request(s.app)
      .post(`/staff/v1/subprocessors/${id}/objections/${other.body.id}/resolution`)
      .set(privacy)
      .send({ status: 'resolved' });
    expect(resolved.body.status).toBe('resolved');

    // Pending: nobody's messages take the new route.
    expect(await routesOf([keen, objector, reconciled])).toEqual([
      ['telnyx', 'twilio'],
      ['telnyx', 'twilio'],
      ['telnyx', 'twilio'],
    ]);
    await s.sleep('29 days');
    expect((await handle.query(subprocessorStatusQuery)).state).toBe('notice_period');
    expect(await routesOf([keen, objector, reconciled])).toEqual([
      ['telnyx', 'twilio'],
      ['telnyx', 'twilio'],
      ['telnyx', 'twilio'],
    ]);

    await s.sleep('1 day');
    await s.sleep('2 minutes');
    const st = await waitFor(
      () => handle.query(subprocessorStatusQuery),
      (x) => x.state === 'active',
      30_000,
      100,
    );
    expect(Date.parse(st.activatedAt!)).toBeGreaterThanOrEqual(effectiveAt.getTime());
    expect(st.excludedAccounts).toBe(1);
    expect(await routesOf([keen, objector, reconciled])).toEqual([
      [NEW_ROUTE, 'telnyx', 'twilio'],
      ['telnyx', 'twilio'],
      [NEW_ROUTE, 'telnyx', 'twilio'],
    ]);
    // The objector is offered termination of the affected scope, once; nobody else gets that email.
    expect(await keysTo(objector, processId)).toEqual([
      `${processId}:announcement:${objector.accountId}`,
      `${processId}:excluded:${objector.accountId}`,
    ]);
    expect(await keysTo(keen, processId)).toEqual([`${processId}:announcement:${keen.accountId}`]);
    expect(await keysTo(reconciled, processId)).toEqual([`${processId}:announcement:${reconciled.accountId}`]);

    // After the effective date: no more objections; the list and changelog say it is active.
    expectProblem(await request(s.app).post(`/v1/subprocessors/${id}/objections`).set(keen.auth).send({ reason: 'late' }), 409, 'conflict');
    expect((await request(s.app).get('/v1/subprocessors')).body.data.find((x: { id: string }) => x.id === id)).toMatchObject({
      status: 'active',
    });
    expect((await request(s.app).get('/v1/changelog')).body.data[0]).toMatchObject({
      kind: 'subprocessor',
      title: 'RouteLab Messaging is now a subprocessor',
    });
    const mine = await request(s.app).get(`/v1/subprocessors/${id}/objections`).set(keen.auth);
    expect(mine.body.data).toEqual([]);
  });
});
