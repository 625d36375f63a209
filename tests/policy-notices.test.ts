import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_TEXT_MAX_CHARS } from '../api/schemas/policies';
import { policyStatusQuery } from '../workflows/notices/policy';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { adminEmailOf, startNoticeStack, type NoticeStack } from './support/notices';
import { waitFor } from './support/outbox';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';

const DAY = 86_400_000;
let s: NoticeStack;
let privacy: { Authorization: string };
let holders: TestAccount[];

const inForce = async (kind: string) => {
  const res = await request(s.app).get('/v1/policies');
  expect(res.status).toBe(200);
  const entry = (res.body.data as { kind: string; inForce: { version: string } | null; upcoming: { version: string } | null }[]).find(
    (p) => p.kind === kind,
  )!;
  return { inForce: entry.inForce?.version ?? null, upcoming: entry.upcoming?.version ?? null };
};
const banner = async (account: TestAccount, processId: string) =>
  ((await request(s.app).get('/v1/notices').set(account.auth)).body.data as { processId: string; shownUntil: string }[]).find(
    (n) => n.processId === processId,
  );

beforeAll(async () => {
  s = await startNoticeStack();
  privacy = staffBearer(await staffSignIn(s.app, await createStaffUser(s.h, 'privacy')));
  holders = [await signUp(s.app, 'Holder A'), await signUp(s.app, 'Holder B')];
});
afterAll(() => s?.close());

describe('policy change (policy:<kind>:<version>): 30 days’ notice for material changes', () => {
  it('refuses a material change with less than 30 days’ notice, and text-less versions', async () => {
    const res = await request(s.app)
      .post('/staff/v1/policies')
      .set(privacy)
      .send({ kind: 'dpa', version: 'soon', text: 'x', material: true, effectiveAt: new Date(s.now().getTime() + 29 * DAY).toISOString() });
    expectProblem(res, 422, 'validation');
    expect(res.body.errors[0].field).toBe('effectiveAt');
    expectProblem(
      await request(s.app)
        .post('/staff/v1/policies')
        .set(privacy)
        .send({ kind: 'dpa', version: 'empty', material: false, effectiveAt: s.now().toISOString() }),
      422,
      'validation',
    );
  });

  it('the version in force switches at the effective instant; the banner shows during the notice; each holder is emailed once', async () => {
    const first = await request(s.app)
      .post('/staff/v1/policies')
      .set(privacy)
      .send({
        kind: 'privacy',
        version: '2026-11',
        url: 'https://massivesms.example/privacy/2026-11',
        material: false,
        effectiveAt: new Date(s.now().getTime() + 60_000).toISOString(),
      });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    await s.sleep('2 minutes');
    expect(await inForce('privacy')).toEqual({ inForce: '2026-11', upcoming: null });

    const effectiveAt = new Date(s.now().getTime() + 30 * DAY + 3_600_000);
    const published = await request(s.app).post('/staff/v1/policies').set(privacy).send({
      kind: 'privacy',
      version: '2027-01',
      text: 'We now keep delivery receipts for 13 months.',
      material: true,
      effectiveAt: effectiveAt.toISOString(),
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const processId = 'policy:privacy:2027-01';
    const handle = s.env.client.workflow.getHandle(processId);
    await waitFor(
      () => handle.query(policyStatusQuery),
      (st) => st.state === 'notice_period',
      30_000,
      100,
    );
    expect(await inForce('privacy')).toEqual({ inForce: '2026-11', upcoming: '2027-01' });
    for (const a of holders) expect(await banner(a, processId)).toMatchObject({ shownUntil: effectiveAt.toISOString() });

    await s.sleep(effectiveAt.getTime() - s.now().getTime() - 1000);
    expect(await inForce('privacy')).toEqual({ inForce: '2026-11', upcoming: '2027-01' });
    expect(await banner(holders[0]!, processId)).toBeDefined();
    await s.sleep('2 seconds');
    expect(await inForce('privacy')).toEqual({ inForce: '2027-01', upcoming: null });
    expect(await banner(holders[0]!, processId)).toBeUndefined();
    const st = await waitFor(
      () => handle.query(policyStatusQuery),
      (x) => x.state === 'in_force',
      30_000,
      100,
    );
    expect(Date.parse(st.inForceAt!)).toBeGreaterThanOrEqual(effectiveAt.getTime());

    for (const a of holders) {
      const keys = (await s.sim.control.emails(await adminEmailOf(s.h, a.accountId)))
        .map((e) => e.idempotencyKey)
        .filter((k) => k?.startsWith('policy:'));
      expect(keys).toEqual([`${processId}:announcement:${a.accountId}`]);
    }
    const changelog = await request(s.app).get('/v1/changelog');
    expect(changelog.body.data[0]).toMatchObject({ kind: 'policy', title: 'Privacy Policy version 2027-01 is in force' });
    expectProblem(
      await request(s.app)
        .post('/staff/v1/policies')
        .set(privacy)
        .send({
          kind: 'privacy',
          version: '2027-01',
          text: 'again',
          material: false,
          effectiveAt: new Date(s.now().getTime() + DAY).toISOString(),
        }),
      409,
      'conflict',
    );
  });
});

describe('the largest policy the document admits', () => {
  it('is accepted even with every character \\u-escaped (not a 413 for a valid body)', async () => {
    const body = `{"kind":"dpa","version":"largest","material":false,"effectiveAt":"${new Date(s.now().getTime() + 400 * DAY).toISOString()}","url":"https://massivesms.example/${'a'.repeat(1960)}","text":"${'\\u00e9'.repeat(POLICY_TEXT_MAX_CHARS)}"}`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(POLICY_TEXT_MAX_CHARS * 6);
    const res = await request(s.app).post('/staff/v1/policies').set(privacy).set('content-type', 'application/json').send(body);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(res.body.text).toBe('é'.repeat(POLICY_TEXT_MAX_CHARS));
  });
});
