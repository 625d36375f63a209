import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { phoneHash } from '../lib/crypto/phone-hash';
import { uuidv7 } from '../lib/ids';
import { sealPii } from '../services/contacts/contact-pii';
import { startHarness, type Harness } from './support/harness';

/** Resolves once some backend of this database is blocked waiting for a lock. */
async function waitForLockWaiter(h: Harness): Promise<void> {
  for (;;) {
    const { rows } = await h.deps.pgPool.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return;
  }
}

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app);
});
afterAll(() => h.close());

describe('sign-up → key → contacts CRUD', () => {
  it('returns the account and a working key once', async () => {
    const res = await request(h.app).get('/v1/account').set(acct.auth);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(acct.accountId);
    const keys = await request(h.app).get('/v1/api-keys').set(acct.auth);
    expect(keys.status).toBe(200);
    expect(keys.body.data).toHaveLength(1);
    expect(keys.body.data[0]).not.toHaveProperty('key');
  });

  it('creates, reads, updates, lists and deletes a contact with E.164 normalization', async () => {
    const created = await request(h.app)
      .post('/v1/contacts')
      .set(acct.auth)
      .send({ phone: '(415) 555-2671', name: 'Ada', attributes: { city: 'SF' }, optIn: { source: 'web form', ip: '203.0.113.7' } });
    expect(created.status).toBe(201);
    expect(created.body.phone).toBe('+14155552671');
    expect(created.body.optIn.source).toBe('web form');

    const again = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+1 415 555 2671', name: 'Ada L.' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    expect(again.body.attributes).toEqual({ city: 'SF' });

    const patched = await request(h.app)
      .patch(`/v1/contacts/${created.body.id}`)
      .set(acct.auth)
      .send({ attributes: { tier: 'gold' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Ada L.', attributes: { tier: 'gold' } });

    const got = await request(h.app).get(`/v1/contacts/${created.body.id}`).set(acct.auth);
    expect(got.body).toMatchObject({ phone: '+14155552671', name: 'Ada L.', optedOut: false });

    const list = await request(h.app).get('/v1/contacts').set(acct.auth);
    expect(list.body.data.map((c: { id: string }) => c.id)).toContain(created.body.id);

    expect((await request(h.app).delete(`/v1/contacts/${created.body.id}`).set(acct.auth)).status).toBe(204);
    expect((await request(h.app).get(`/v1/contacts/${created.body.id}`).set(acct.auth)).status).toBe(404);
  });

  it('a create that loses a race to a concurrent create of the same number becomes an update', async () => {
    const other = await signUp(h.app, 'Racer');
    const phone = '+14155550610';
    const em = h.deps.orm.em.fork();
    const dataKey = await h.deps.keyring.keyFor(em, other.accountId);
    // The rival insert is open but uncommitted: the API's lookup misses it and its insert waits on the unique index.
    const rival = await h.deps.pgPool.connect();
    await rival.query('begin');
    const rivalId = uuidv7();
    await rival.query(
      `insert into contacts (id, account_id, phone_hash, pii, created_at, updated_at) values ($1, $2, $3, $4, now(), now())`,
      [
        rivalId,
        other.accountId,
        phoneHash(h.deps.keys.phoneHashKey, phone),
        sealPii(dataKey, rivalId, { phone, name: 'Rival', attributes: {}, optInIp: null }),
      ],
    );
    const pending = request(h.app)
      .post('/v1/contacts')
      .set(other.auth)
      .send({ phone, name: 'Loser' })
      .then((r) => r);
    await waitForLockWaiter(h);
    await rival.query('commit');
    rival.release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Loser');
    const list = await request(h.app).get('/v1/contacts').set(other.auth);
    expect(list.body.data).toHaveLength(1);
  });

  it('a PATCH to a number another contact has is 409 naming that contact and saying a retry will not help', async () => {
    const other = await signUp(h.app, 'Clasher');
    const holder = await request(h.app).post('/v1/contacts').set(other.auth).send({ phone: '+14155550620' });
    const mover = await request(h.app).post('/v1/contacts').set(other.auth).send({ phone: '+14155550621', name: 'Mover' });
    const res = await request(h.app)
      .patch(`/v1/contacts/${mover.body.id}`)
      .set(other.auth)
      .send({ phone: '(415) 555-0620', name: 'Moved' });
    expectProblem(res, 409, 'conflict');
    expect(res.body.detail).toContain(holder.body.id);
    expect(res.body.detail).toContain('retrying will not help');
    expect(res.body.errors).toEqual([{ field: 'body.phone', reason: `already belongs to contact ${holder.body.id}` }]);
    const unchanged = await request(h.app).get(`/v1/contacts/${mover.body.id}`).set(other.auth);
    expect(unchanged.body).toMatchObject({ phone: '+14155550621', name: 'Mover' });
  });

  it('a PATCH that loses the number to a concurrent write gets the same 409 naming the winner', async () => {
    const other = await signUp(h.app, 'Patch racer');
    const phone = '+14155550630';
    const mover = await request(h.app).post('/v1/contacts').set(other.auth).send({ phone: '+14155550631' });
    const em = h.deps.orm.em.fork();
    const dataKey = await h.deps.keyring.keyFor(em, other.accountId);
    // The rival insert is open but uncommitted: the PATCH's check misses it and its update waits on the unique index.
    const rivalId = uuidv7();
    const rival = await h.deps.pgPool.connect();
    await rival.query('begin');
    await rival.query(
      `insert into contacts (id, account_id, phone_hash, pii, created_at, updated_at) values ($1, $2, $3, $4, now(), now())`,
      [
        rivalId,
        other.accountId,
        phoneHash(h.deps.keys.phoneHashKey, phone),
        sealPii(dataKey, other.accountId, { phone, name: 'Rival', attributes: {}, optInIp: null }),
      ],
    );
    const pending = request(h.app)
      .patch(`/v1/contacts/${mover.body.id}`)
      .set(other.auth)
      .send({ phone })
      .then((r) => r);
    await waitForLockWaiter(h);
    await rival.query('commit');
    rival.release();
    const res = await pending;
    expectProblem(res, 409, 'conflict');
    expect(res.body.detail).toContain(rivalId);
    expect(res.body.detail).toContain('retrying will not help');
  });

  it('stores contact PII encrypted, not in plain text', async () => {
    await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550199', name: 'Grace Hopper' });
    const rows = await h.deps.orm.em.fork().execute<{ pii: Buffer }[]>('select pii from contacts where account_id = ?', [acct.accountId]);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.pii.toString('latin1')).not.toContain('Grace');
      expect(row.pii.toString('latin1')).not.toContain('4155550199');
    }
  });

  it('paginates with cursors without repeating or skipping', async () => {
    const other = await signUp(h.app, 'Paginator');
    for (let i = 0; i < 5; i++) {
      await request(h.app)
        .post('/v1/contacts')
        .set(other.auth)
        .send({ phone: `+1415555030${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/v1/contacts')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(other.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('revoked keys stop working at once', async () => {
    const other = await signUp(h.app, 'Revoker');
    const extra = await request(h.app).post('/v1/api-keys').set(other.auth).send({ name: 'ci' });
    expect(extra.status).toBe(201);
    const extraAuth = { Authorization: `Bearer ${extra.body.key}` };
    expect((await request(h.app).get('/v1/account').set(extraAuth)).status).toBe(200);
    expect((await request(h.app).delete(`/v1/api-keys/${extra.body.id}`).set(other.auth)).status).toBe(200);
    expect((await request(h.app).get('/v1/account').set(extraAuth)).status).toBe(401);
  });

  it('read-only keys cannot change anything', async () => {
    const other = await signUp(h.app, 'Reader');
    const ro = await request(h.app)
      .post('/v1/api-keys')
      .set(other.auth)
      .send({ name: 'ro', scopes: ['read'] });
    const roAuth = { Authorization: `Bearer ${ro.body.key}` };
    expect((await request(h.app).get('/v1/contacts').set(roAuth)).status).toBe(200);
    const denied = await request(h.app).post('/v1/contacts').set(roAuth).send({ phone: '+14155550100' });
    expect(denied.status).toBe(403);
  });

  it('GET /v1/contacts?phone= finds the account’s contact with that number by its hash, in any format; another account sees none', async () => {
    const other = await signUp(h.app, 'Other lister');
    const created = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550911', name: 'Looked Up' });
    expect(created.status).toBe(201);
    await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550912' });
    await request(h.app).post('/v1/contacts').set(other.auth).send({ phone: '+14155550913' });

    const found = await request(h.app).get('/v1/contacts').query({ phone: '(415) 555-0911' }).set(acct.auth);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [created.body], nextCursor: null });
    const theirs = await request(h.app).get('/v1/contacts').query({ phone: '+14155550911' }).set(other.auth);
    expect(theirs.body).toEqual({ data: [], nextCursor: null });
    const notMine = await request(h.app).get('/v1/contacts').query({ phone: '+14155550913' }).set(acct.auth);
    expect(notMine.body).toEqual({ data: [], nextCursor: null });

    const bad = await request(h.app).get('/v1/contacts').query({ phone: 'not a number' }).set(acct.auth);
    expectProblem(bad, 422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['phone']);
  });
});
