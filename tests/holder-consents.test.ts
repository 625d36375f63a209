import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPolicyVersion } from '../services/policies/policy-store';
import { expectProblem } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { setCountry, signUpHolder, type TestHolder } from './support/holders';
import { createStaffUser } from './support/staff';

let h: Harness;
let privacyVersion: string;

beforeAll(async () => {
  h = await startHarness();
  const publisher = await createStaffUser(h, 'privacy');
  // A privacy version long in force, unless a later one (another file's) took over: the answer names whichever is.
  await insertPolicyVersion(h.deps.orm.em.fork(), {
    kind: 'privacy',
    version: 'consents-test-2000',
    body: 'text',
    url: null,
    material: false,
    effectiveAt: new Date('2000-01-01T00:00:00Z'),
    publishedAt: new Date('2000-01-01T00:00:00Z'),
    publishedBy: publisher.id,
  });
  const policies = await request(h.app).get('/v1/policies').set('X-Forwarded-For', '192.0.2.254');
  privacyVersion = (policies.body.data as { kind: string; inForce: { version: string } }[]).find((p) => p.kind === 'privacy')!.inForce
    .version;
});
afterAll(() => h?.close());

const consentsOf = async (holder: TestHolder) => {
  const res = await request(h.app).get('/v1/account/consents').set(holder.session);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    country: string | null;
    data: { purpose: string; granted: boolean; source: string; how: string; policyVersion: string | null; recordedAt: string | null }[];
    history: { purpose: string; granted: boolean; how: string; policyVersion: string | null; recordedAt: string }[];
  };
};
const put = (holder: TestHolder, body: unknown) =>
  request(h.app)
    .put('/v1/account/consents')
    .set(holder.session)
    .send(body as object);

describe('consent defaults by country', () => {
  it.each([
    ['DE', false],
    ['FR', false],
    ['NO', false], // EEA
    ['IS', false], // EEA
    ['GB', false], // UK
    [null, false], // unknown
    ['US', true],
    ['BR', true],
  ] as const)('country %s: product analytics %s by default, marketing email off', async (country, analytics) => {
    const holder = await signUpHolder(h);
    if (country) await setCountry(h, holder.userId, country);
    const consents = await consentsOf(holder);
    expect(consents.country).toBe(country);
    expect(consents.data).toEqual([
      {
        purpose: 'product_analytics',
        granted: analytics,
        source: 'default',
        how: analytics ? 'on_by_notice' : 'opt_in_required',
        policyVersion: privacyVersion,
        recordedAt: null,
      },
      {
        purpose: 'marketing_email',
        granted: false,
        source: 'default',
        how: analytics ? 'off_by_policy' : 'opt_in_required',
        policyVersion: privacyVersion,
        recordedAt: null,
      },
    ]);
    expect(consents.history).toEqual([]);
  });
});

describe('consent records', () => {
  it('a choice is recorded with purpose, policy version, time and how; withdrawal takes effect at once; history keeps both', async () => {
    const holder = await signUpHolder(h);
    await setCountry(h, holder.userId, 'DE');
    const before = Date.now();
    const given = await put(holder, { product_analytics: true });
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    expect(given.body.data[0]).toEqual({
      purpose: 'product_analytics',
      granted: true,
      source: 'choice',
      how: 'holder_request',
      policyVersion: privacyVersion,
      recordedAt: expect.any(String),
    });
    expect(Date.parse(given.body.data[0].recordedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(given.body.data[1]).toMatchObject({ purpose: 'marketing_email', granted: false, source: 'default' });

    const withdrawn = await put(holder, { product_analytics: false, marketing_email: true });
    expect(withdrawn.status).toBe(200);
    const now = await consentsOf(holder);
    expect(now.data.map((c) => [c.purpose, c.granted, c.source])).toEqual([
      ['product_analytics', false, 'choice'],
      ['marketing_email', true, 'choice'],
    ]);
    expect(now.history.map((r) => [r.purpose, r.granted, r.how, r.policyVersion])).toEqual([
      ['marketing_email', true, 'holder_request', privacyVersion],
      ['product_analytics', false, 'holder_request', privacyVersion],
      ['product_analytics', true, 'holder_request', privacyVersion],
    ]);
  });

  it('a choice outlives a change of country (the default only fills in for no choice)', async () => {
    const holder = await signUpHolder(h);
    await setCountry(h, holder.userId, 'US');
    expect((await put(holder, { product_analytics: false })).status).toBe(200);
    await setCountry(h, holder.userId, 'CA');
    expect((await consentsOf(holder)).data[0]).toMatchObject({ granted: false, source: 'choice' });
    await setCountry(h, holder.userId, 'IT');
    expect((await put(holder, { marketing_email: true })).status).toBe(200);
    expect((await consentsOf(holder)).data.map((c) => c.granted)).toEqual([false, true]);
  });

  it('the records are evidence: the database refuses to rewrite one', async () => {
    const holder = await signUpHolder(h);
    expect((await put(holder, { marketing_email: true })).status).toBe(200);
    await expect(h.deps.pgPool.query('update holder_consents set granted = false where user_id = $1', [holder.userId])).rejects.toThrow(
      /append-only/,
    );
    expect((await consentsOf(holder)).data[1]).toMatchObject({ purpose: 'marketing_email', granted: true });
  });

  it("one holder's choices never touch another's", async () => {
    const a = await signUpHolder(h, 'A');
    const b = await signUpHolder(h, 'B');
    await setCountry(h, a.userId, 'US');
    expect((await put(b, { product_analytics: false, marketing_email: true })).status).toBe(200);
    const ofA = await consentsOf(a);
    expect(ofA.data.map((c) => [c.granted, c.source])).toEqual([
      [true, 'default'],
      [false, 'default'],
    ]);
    expect(ofA.history).toEqual([]);
  });
});

describe('who may call and what is refused', () => {
  it('an API key (even admin) is refused with 401 like no credential: only the holder cookie opens these', async () => {
    const holder = await signUpHolder(h);
    for (const r of [
      request(h.app).get('/v1/account/consents'),
      request(h.app).put('/v1/account/consents').send({ marketing_email: true }),
    ]) {
      expectProblem(await r.set(holder.apiKey), 401, 'unauthorized');
    }
    expectProblem(await request(h.app).get('/v1/account/consents'), 401, 'unauthorized');
    expect((await consentsOf(holder)).history).toEqual([]);
  });

  it('bad bodies are 422 naming the field and record nothing', async () => {
    const holder = await signUpHolder(h);
    const cases: [unknown, string][] = [
      [{}, 'product_analytics'],
      [{ product_analytics: 'yes' }, 'product_analytics'],
      [{ marketing_email: null }, 'marketing_email'],
      [{ location_tracking: true }, 'location_tracking'],
    ];
    for (const [body, field] of cases) {
      const res = await put(holder, body);
      expectProblem(res, 422, 'validation');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`body.${field}`);
    }
    expect((await consentsOf(holder)).history).toEqual([]);
  });
});
