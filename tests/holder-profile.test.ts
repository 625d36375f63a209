import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { HOLDER_PASSWORD, holderCookieHeaders, publicAddress, signUpHolder } from './support/holders';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const ADDRESS = { line1: '1 Rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' };

describe('holder profile', () => {
  it('starts empty, is corrected field by field, and null clears a field', async () => {
    const holder = await signUpHolder(h);
    const empty = await request(h.app).get('/v1/account/profile').set(holder.session);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ email: holder.email, name: null, country: null, billingAddress: null, taxId: null, updatedAt: null });

    const patched = await request(h.app)
      .patch('/v1/account/profile')
      .set(holder.session)
      .send({ name: 'Ada Lovelace', country: 'FR', billingAddress: ADDRESS, taxId: 'FR12345678901' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Ada Lovelace', country: 'FR', billingAddress: ADDRESS, taxId: 'FR12345678901' });

    const cleared = await request(h.app).patch('/v1/account/profile').set(holder.session).send({ taxId: null });
    expect(cleared.body).toMatchObject({ name: 'Ada Lovelace', country: 'FR', billingAddress: ADDRESS, taxId: null });
  });

  it('the billing address and tax ID are stored sealed, bound to the holder', async () => {
    const holder = await signUpHolder(h);
    const other = await signUpHolder(h);
    await request(h.app).patch('/v1/account/profile').set(holder.session).send({ billingAddress: ADDRESS, taxId: 'FR99999999999' });
    await request(h.app).patch('/v1/account/profile').set(other.session).send({ name: 'Other' });
    const { rows } = await h.deps.pgPool.query<{ billing_address_pii: Buffer; tax_id_pii: Buffer }>(
      'select billing_address_pii, tax_id_pii from holder_profiles where user_id = $1',
      [holder.userId],
    );
    const stored = Buffer.concat([rows[0]!.billing_address_pii, rows[0]!.tax_id_pii]).toString('latin1');
    for (const clear of ['FR99999999999', 'Rivoli', 'Paris', '75001']) expect(stored).not.toContain(clear);
    // Copied onto another holder's row, the sealed tax ID does not open there.
    await h.deps.pgPool.query('update holder_profiles set tax_id_pii = $1 where user_id = $2', [rows[0]!.tax_id_pii, other.userId]);
    expect((await request(h.app).get('/v1/account/profile').set(other.session)).status).toBe(500);
  });

  it('the country set here decides the consent defaults', async () => {
    const holder = await signUpHolder(h);
    await request(h.app).patch('/v1/account/profile').set(holder.session).send({ country: 'US' });
    const us = await request(h.app).get('/v1/account/consents').set(holder.session);
    expect(us.body.data[0]).toMatchObject({ purpose: 'product_analytics', granted: true, how: 'on_by_notice' });
    await request(h.app).patch('/v1/account/profile').set(holder.session).send({ country: 'DE' });
    const de = await request(h.app).get('/v1/account/consents').set(holder.session);
    expect(de.body.data[0]).toMatchObject({ purpose: 'product_analytics', granted: false, how: 'opt_in_required' });
  });

  it('bad input is 422 naming the field; an API key is 401 (only the holder cookie opens these)', async () => {
    const holder = await signUpHolder(h);
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ country: 'de' }, 'country'],
      [{ country: 'DEU' }, 'country'],
      [{ taxId: 'x'.repeat(51) }, 'taxId'],
      [{ name: '   ' }, 'name'],
      [{ billingAddress: { line1: 'x' } }, 'billingAddress.city'],
      [{ email: 'new@example.com' }, 'email'],
    ];
    for (const [body, field] of cases) {
      const res = await request(h.app)
        .patch('/v1/account/profile')
        .set(holder.session)
        .send(body as object);
      expectProblem(res, 422, 'validation');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`body.${field}`);
    }
    expectProblem(await request(h.app).get('/v1/account/profile').set(holder.apiKey), 401, 'unauthorized');
    expectProblem(await request(h.app).get('/v1/account/personal-data').set(holder.apiKey), 401, 'unauthorized');
  });
});

describe("the holder's personal-data export", () => {
  it('holds the profile, accounts, live sessions, consents with history and the sign-ins', async () => {
    const holder = await signUpHolder(h);
    await request(h.app).patch('/v1/account/profile').set(holder.session).send({ name: 'Grace', country: 'GB', taxId: 'GB123' });
    await request(h.app).put('/v1/account/consents').set(holder.session).send({ marketing_email: true });
    const res = await request(h.app).get('/v1/account/personal-data').set(holder.session);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.profile).toMatchObject({ email: holder.email, name: 'Grace', country: 'GB', taxId: 'GB123' });
    expect(res.body.accounts).toEqual([
      { accountId: holder.accountId, accountName: 'Holder Co', role: 'owner', since: expect.any(String) },
    ]);
    // A password sign-in opens two: the cookie session and the 15-minute key-management token.
    expect(res.body.sessions).toHaveLength(2);
    expect(res.body.sessions.map((x: { accountId: string }) => x.accountId)).toEqual([holder.accountId, holder.accountId]);
    expect(res.body.consents.history.map((r: { purpose: string; granted: boolean }) => [r.purpose, r.granted])).toEqual([
      ['marketing_email', true],
    ]);
    expect(res.body.consents.current.map((c: { granted: boolean }) => c.granted)).toEqual([false, true]);
    expect(res.body.signInHistory).toEqual([{ at: expect.any(String), accountId: holder.accountId, sessionId: res.body.sessions[0].id }]);
    expect(res.body.billing).toBeNull();
  });
});

describe('password change', () => {
  it('needs the current password; then the new one signs in, the old one does not, and other sessions end', async () => {
    const holder = await signUpHolder(h);
    const other = await request(h.app).post('/v1/sessions').set(publicAddress()).send({ email: holder.email, password: HOLDER_PASSWORD });
    expect(other.status).toBe(201);
    const wrong = await request(h.app)
      .post('/v1/account/password')
      .set(holder.session)
      .send({ currentPassword: 'not it at all', newPassword: 'a brand new password' });
    expectProblem(wrong, 403, 'forbidden');
    expect(wrong.body.detail).toBe('currentPassword is not your current password');

    const changed = await request(h.app)
      .post('/v1/account/password')
      .set(holder.session)
      .send({ currentPassword: HOLDER_PASSWORD, newPassword: 'a brand new password' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(204);
    // This session continues under a rotated token (tests/holder-links.test.ts), the others end.
    expect((await request(h.app).get('/v1/account/profile').set(holderCookieHeaders(changed.headers['set-cookie']))).status).toBe(200);
    expectProblem(
      await request(h.app)
        .get('/v1/account/profile')
        .set({ Authorization: `Bearer ${other.body.token}` }),
      401,
    );
    const signIn = (password: string) => request(h.app).post('/v1/sessions').set(publicAddress()).send({ email: holder.email, password });
    expect((await signIn(HOLDER_PASSWORD)).status).toBe(401);
    expect((await signIn('a brand new password')).status).toBe(201);
  });

  it('wrong current passwords are limited (429), from one address', async () => {
    const holder = await signUpHolder(h);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(h.app)
        .post('/v1/account/password')
        .set(holder.session)
        .set('X-Forwarded-For', '198.51.100.200')
        .send({ currentPassword: `guess number ${i}`, newPassword: 'a brand new password' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429]);
  });
});
