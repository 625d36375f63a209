import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Retrier');
});
afterAll(() => h.close());

const contactCount = async () =>
  (
    await h.deps.orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from contacts where account_id = ?', [acct.accountId])
  )[0]!.n;

describe('Idempotency-Key', () => {
  it('replays the stored response for the same key and body, without doing the work twice', async () => {
    const send = () => request(h.app).post('/v1/lists').set(acct.auth).set('Idempotency-Key', 'list-1').send({ name: 'VIP' });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const lists = await request(h.app).get('/v1/lists').set(acct.auth);
    expect(lists.body.data).toHaveLength(1);
  });

  it('refuses the same key with a different body (422)', async () => {
    await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-1').send({ phone: '+14155550301' });
    const before = await contactCount();
    const res = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-1').send({ phone: '+14155550302' });
    expectProblem(res, 422, 'idempotency_key_reused');
    expect(await contactCount()).toBe(before);
  });

  it('keys are per account: another account may use the same key', async () => {
    const other = await signUp(h.app, 'Other retrier');
    const res = await request(h.app).post('/v1/lists').set(other.auth).set('Idempotency-Key', 'list-1').send({ name: 'VIP' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a failed request releases its key so the retry runs', async () => {
    const bad = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-2').send({ phone: '12' });
    expect(bad.status).toBe(422);
    const bad2 = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-3').send({ phone: '+14155550303' });
    expect(bad2.status).toBe(201);
    const retry = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-2').send({ phone: '+14155550304' });
    expect(retry.status).toBe(201);
  });

  it('rejects malformed keys', async () => {
    const res = await request(h.app).post('/v1/lists').set(acct.auth).set('Idempotency-Key', 'x'.repeat(300)).send({ name: 'a' });
    expectProblem(res, 422, 'validation');
  });
});
