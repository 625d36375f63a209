import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Lister');
});
afterAll(() => h.close());

describe('lists', () => {
  it('groups contacts: add, page through members, remove, rename, delete (contacts stay)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await request(h.app)
            .post('/v1/contacts')
            .set(acct.auth)
            .send({ phone: `+1415555070${i}` })
        ).body.id,
      );
    }
    const list = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'VIP' });
    expect(list.status).toBe(201);
    const added = await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [...ids, ids[0]] });
    expect(added.body).toEqual({ added: 3, alreadyMembers: 0 });
    const again = await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [ids[1]] });
    expect(again.body).toEqual({ added: 0, alreadyMembers: 1 });

    const first = await request(h.app).get(`/v1/lists/${list.body.id}/contacts`).query({ limit: 2 }).set(acct.auth);
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    const second = await request(h.app)
      .get(`/v1/lists/${list.body.id}/contacts`)
      .query({ limit: 2, cursor: first.body.nextCursor })
      .set(acct.auth);
    expect(second.body).toMatchObject({ data: [expect.objectContaining({ id: ids[2], phone: '+14155550702' })], nextCursor: null });

    expect((await request(h.app).delete(`/v1/lists/${list.body.id}/contacts/${ids[0]}`).set(acct.auth)).status).toBe(204);
    expect((await request(h.app).get(`/v1/lists/${list.body.id}`).set(acct.auth)).body).toMatchObject({ name: 'VIP', size: 2 });
    expect((await request(h.app).patch(`/v1/lists/${list.body.id}`).set(acct.auth).send({ name: 'Gold' })).body.name).toBe('Gold');

    expect((await request(h.app).delete(`/v1/lists/${list.body.id}`).set(acct.auth)).status).toBe(204);
    expect((await request(h.app).get(`/v1/lists/${list.body.id}`).set(acct.auth)).status).toBe(404);
    expect((await request(h.app).get(`/v1/contacts/${ids[0]}`).set(acct.auth)).status).toBe(200);
  });

  it('a deleted contact leaves its lists', async () => {
    const contact = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550799' });
    const list = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'Temp' });
    await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [contact.body.id] });
    await request(h.app).delete(`/v1/contacts/${contact.body.id}`).set(acct.auth);
    expect((await request(h.app).get(`/v1/lists/${list.body.id}`).set(acct.auth)).body.size).toBe(0);
  });
});
