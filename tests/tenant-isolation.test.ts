import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp, type TestAccount } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';
import { customerRoutes } from './support/routes';

let h: Harness;
let a: TestAccount;
let b: TestAccount;
const A = { contactId: '', listId: '', optOutId: '', apiKeyId: '', importId: '' };
const A_PHONE = '+14155551001';
let bListId = '';
let bContactId = '';

beforeAll(async () => {
  h = await startHarness({ worker: true });
  a = await signUp(h.app, 'Tenant A');
  b = await signUp(h.app, 'Tenant B');
  const contact = await request(h.app).post('/v1/contacts').set(a.auth).send({ phone: A_PHONE, name: 'Alice of A' });
  A.contactId = contact.body.id;
  A.listId = (await request(h.app).post('/v1/lists').set(a.auth).send({ name: 'A list' })).body.id;
  await request(h.app)
    .post(`/v1/lists/${A.listId}/contacts`)
    .set(a.auth)
    .send({ contactIds: [A.contactId] });
  A.optOutId = (await request(h.app).post('/v1/opt-outs').set(a.auth).send({ phone: '+14155551002' })).body.id;
  A.apiKeyId = (await request(h.app).post('/v1/api-keys').set(a.auth).send({ name: 'A key' })).body.id;
  const imp = await uploadCsv(h.app, a.auth, csvOf(['phone'], [['+14155551003'], ['bad']]));
  A.importId = imp.body.id;
  await h.temporal.workflow.getHandle(importWorkflowId(A.importId)).result();
  bListId = (await request(h.app).post('/v1/lists').set(b.auth).send({ name: 'B list' })).body.id;
  bContactId = (await request(h.app).post('/v1/contacts').set(b.auth).send({ phone: '+14155551009' })).body.id;
});
afterAll(() => h.close());

const idsIn = (res: request.Response): string[] => (res.body.data ?? []).map((r: { id: string }) => r.id);

/** One case per customer route: what account B gets when it aims at account A's data. */
const cases: Record<string, () => Promise<void>> = {
  'GET /v1/account': async () => {
    const res = await request(h.app).get('/v1/account').set(b.auth);
    expect(res.body.id).toBe(b.accountId);
  },
  'GET /v1/api-keys': async () => {
    const res = await request(h.app).get('/v1/api-keys').set(b.auth);
    expect(idsIn(res)).not.toContain(A.apiKeyId);
  },
  'POST /v1/api-keys': async () => {
    const res = await request(h.app).post('/v1/api-keys').set(b.auth).send({ name: 'B2' });
    const own = { Authorization: `Bearer ${res.body.key}` };
    expect((await request(h.app).get(`/v1/contacts/${A.contactId}`).set(own)).status).toBe(404);
  },
  'DELETE /v1/api-keys/{id}': async () => {
    expect((await request(h.app).delete(`/v1/api-keys/${A.apiKeyId}`).set(b.auth)).status).toBe(404);
  },
  'GET /v1/contacts': async () => {
    expect(idsIn(await request(h.app).get('/v1/contacts').set(b.auth))).not.toContain(A.contactId);
  },
  'POST /v1/contacts': async () => {
    const res = await request(h.app).post('/v1/contacts').set(b.auth).send({ phone: A_PHONE, name: 'Bob of B' });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(A.contactId);
  },
  'GET /v1/contacts/{id}': async () => {
    expect((await request(h.app).get(`/v1/contacts/${A.contactId}`).set(b.auth)).status).toBe(404);
  },
  'PATCH /v1/contacts/{id}': async () => {
    expect((await request(h.app).patch(`/v1/contacts/${A.contactId}`).set(b.auth).send({ name: 'x' })).status).toBe(404);
  },
  'DELETE /v1/contacts/{id}': async () => {
    expect((await request(h.app).delete(`/v1/contacts/${A.contactId}`).set(b.auth)).status).toBe(404);
  },
  'POST /v1/contacts/imports': async () => {
    const res = await uploadCsv(h.app, b.auth, csvOf(['phone', 'name'], [[A_PHONE, 'Imported by B']]));
    await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
  },
  'GET /v1/contacts/imports': async () => {
    expect(idsIn(await request(h.app).get('/v1/contacts/imports').set(b.auth))).not.toContain(A.importId);
  },
  'GET /v1/contacts/imports/{id}': async () => {
    expect((await request(h.app).get(`/v1/contacts/imports/${A.importId}`).set(b.auth)).status).toBe(404);
  },
  'GET /v1/contacts/imports/{id}/errors': async () => {
    expect((await request(h.app).get(`/v1/contacts/imports/${A.importId}/errors`).set(b.auth)).status).toBe(404);
  },
  'GET /v1/lists': async () => {
    expect(idsIn(await request(h.app).get('/v1/lists').set(b.auth))).not.toContain(A.listId);
  },
  'POST /v1/lists': async () => {
    expect((await request(h.app).post('/v1/lists').set(b.auth).send({ name: 'A list' })).status).toBe(201);
  },
  'GET /v1/lists/{id}': async () => {
    expect((await request(h.app).get(`/v1/lists/${A.listId}`).set(b.auth)).status).toBe(404);
  },
  'PATCH /v1/lists/{id}': async () => {
    expect((await request(h.app).patch(`/v1/lists/${A.listId}`).set(b.auth).send({ name: 'mine' })).status).toBe(404);
  },
  'DELETE /v1/lists/{id}': async () => {
    expect((await request(h.app).delete(`/v1/lists/${A.listId}`).set(b.auth)).status).toBe(404);
  },
  'GET /v1/lists/{id}/contacts': async () => {
    expect((await request(h.app).get(`/v1/lists/${A.listId}/contacts`).set(b.auth)).status).toBe(404);
  },
  'POST /v1/lists/{id}/contacts': async () => {
    expect(
      (
        await request(h.app)
          .post(`/v1/lists/${A.listId}/contacts`)
          .set(b.auth)
          .send({ contactIds: [bContactId] })
      ).status,
    ).toBe(404);
    const res = await request(h.app)
      .post(`/v1/lists/${bListId}/contacts`)
      .set(b.auth)
      .send({ contactIds: [A.contactId] });
    expect(res.status).toBe(422);
  },
  'DELETE /v1/lists/{id}/contacts/{contactId}': async () => {
    expect((await request(h.app).delete(`/v1/lists/${A.listId}/contacts/${A.contactId}`).set(b.auth)).status).toBe(404);
  },
  'GET /v1/opt-outs': async () => {
    expect(idsIn(await request(h.app).get('/v1/opt-outs').set(b.auth))).not.toContain(A.optOutId);
  },
  'POST /v1/opt-outs': async () => {
    const res = await request(h.app).post('/v1/opt-outs').set(b.auth).send({ phone: '+14155551002' });
    expect(res.status).toBe(201); // A's opt-out of the same number is not B's
  },
  'DELETE /v1/opt-outs/{id}': async () => {
    expect((await request(h.app).delete(`/v1/opt-outs/${A.optOutId}`).set(b.auth).send({ reason: 'mine now' })).status).toBe(404);
  },
};

describe('tenant isolation', () => {
  it('has a case for every customer route', async () => {
    expect(Object.keys(cases).sort()).toEqual(await customerRoutes(h.app));
  });

  it.each(Object.keys(cases))('%s never reaches account A', async (route) => {
    await cases[route]!();
  });

  it("leaves account A's data exactly as it was", async () => {
    const contact = await request(h.app).get(`/v1/contacts/${A.contactId}`).set(a.auth);
    expect(contact.body).toMatchObject({ phone: A_PHONE, name: 'Alice of A' });
    expect((await request(h.app).get(`/v1/lists/${A.listId}`).set(a.auth)).body.size).toBe(1);
    expect(idsIn(await request(h.app).get('/v1/opt-outs').set(a.auth))).toEqual([A.optOutId]);
    expect(
      (await request(h.app).get('/v1/api-keys').set(a.auth)).body.data.find((k: { id: string }) => k.id === A.apiKeyId).revokedAt,
    ).toBeNull();
    expect((await request(h.app).get(`/v1/contacts/imports/${A.importId}`).set(a.auth)).body).toMatchObject({ created: 1, invalid: 1 });
  });
});
