import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Opt-out keeper');
});
afterAll(() => h.close());

describe('opt-outs', () => {
  it('opting out marks the contact, survives its deletion and re-creation, and removal is audited with its reason', async () => {
    const contact = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550801' });
    const first = await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '(415) 555-0801', reason: 'asked by phone' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ phone: '+14155550801', source: 'api', reason: 'asked by phone' });
    const second = await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155550801' });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);

    expect((await request(h.app).get(`/v1/contacts/${contact.body.id}`).set(acct.auth)).body.optedOut).toBe(true);
    await request(h.app).delete(`/v1/contacts/${contact.body.id}`).set(acct.auth);
    const recreated = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550801' });
    expect(recreated.body.optedOut).toBe(true);

    const removed = await request(h.app).delete(`/v1/opt-outs/${first.body.id}`).set(acct.auth).send({ reason: 'new written consent' });
    expect(removed.status).toBe(204);
    expect((await request(h.app).get(`/v1/contacts/${recreated.body.id}`).set(acct.auth)).body.optedOut).toBe(false);
    const audit = await h.deps.orm.em
      .fork()
      .execute<{ details: { reason: string } }[]>(`select details from audit_log where account_id = ? and action = 'opt_out.removed'`, [
        acct.accountId,
      ]);
    expect(audit).toEqual([{ details: { reason: 'new written consent' } }]);
  });

  it('GET /v1/opt-outs?phone= finds the account’s opt-out of that number by its hash, in any format; another account sees none', async () => {
    const other = await signUp(h.app, 'Other keeper');
    const added = await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155550802', reason: 'lookup' });
    expect(added.status).toBe(201);
    await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155550803' });
    await request(h.app).post('/v1/opt-outs').set(other.auth).send({ phone: '+14155550804' });

    const found = await request(h.app).get('/v1/opt-outs').query({ phone: '(415) 555-0802' }).set(acct.auth);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({
      data: [{ id: added.body.id, phone: '+14155550802', source: 'api', reason: 'lookup', createdAt: added.body.createdAt }],
      nextCursor: null,
    });
    const theirs = await request(h.app).get('/v1/opt-outs').query({ phone: '+14155550802' }).set(other.auth);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ data: [], nextCursor: null });
    const mineNotTheirs = await request(h.app).get('/v1/opt-outs').query({ phone: '+14155550804' }).set(acct.auth);
    expect(mineNotTheirs.body).toEqual({ data: [], nextCursor: null });

    const bad = await request(h.app).get('/v1/opt-outs').query({ phone: 'not a number' }).set(acct.auth);
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['phone']);
  });
});
