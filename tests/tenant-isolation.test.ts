import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../lib/ids';
import { insertCustomerNotice } from '../services/notices/notice-store';
import { insertSubprocessor } from '../services/subprocessors/subprocessor-store';
import { publishCustomerEvent } from '../services/webhooks/customer-events';
import { importWorkflowId } from '../workflows/import-contacts';
import { signUp, type TestAccount } from './support/accounts';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { createBillingProvider } from '../providers/billing/registry';
import { HOLDER_PASSWORD, publicAddress, signUpHolder } from './support/holders';
import { uploadCsv } from './support/imports';
import { customerRoutes } from './support/routes';
import { inventoryPhone, obtainSenderNumber } from './support/sender-numbers';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let h: Harness;
let sim: SimulatorProcess;
let a: TestAccount;
let b: TestAccount;
const A = {
  contactId: '',
  listId: '',
  optOutId: '',
  apiKeyId: '',
  importId: '',
  senderNumberId: '',
  messageId: '',
  webhookEndpointId: '',
  campaignId: '',
  dsrId: '',
};
/** A's number: the first the carrier offered A (set in beforeAll). */
let A_SENDER = '';
const A_RECIPIENT = '+14155551021';
const WEBHOOK = { url: 'https://1.1.1.1/a-hook', eventTypes: ['message.status'] };
const A_PHONE = '+14155551001';
const A_OPT_OUT_PHONE = '+14155551002';
let bListId = '';
let bContactId = '';

const campaignOf = (from: string, listId: string) => ({
  name: 'Campaign',
  template: 'Hi {{name | "there"}}',
  from,
  audience: { listIds: [listId] },
  ratePerSecond: 5,
});
const B_SENDER = inventoryPhone();

/** Asserts the exact status (so a 5xx never passes as "not found") and returns the response. */
function expectStatus(res: request.Response, status: number): request.Response {
  expect(res.status, `answered ${res.status}: ${JSON.stringify(res.body)}`).toBe(status);
  return res;
}

/** The ids of a 200 list response: any other status fails the test. */
const idsIn = (res: request.Response): string[] => (expectStatus(res, 200).body.data as { id: string }[]).map((r) => r.id);

async function importAndWait(account: TestAccount, csv: string): Promise<string> {
  const res = expectStatus(await uploadCsv(h.app, account.auth, csv), 202);
  await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
  return res.body.id;
}

/** Two new accounts, each owning one row made by `create`: every list case sees only fresh accounts' rows. */
async function freshPair(create: (account: TestAccount, i: number) => Promise<string>) {
  const owner = await signUp(h.app, 'Fresh owner');
  const other = await signUp(h.app, 'Fresh other');
  return { ownerRow: await create(owner, 0), otherRow: await create(other, 1), other };
}

beforeAll(async () => {
  // The simulator answers the number search; this file runs no messaging worker, so nothing is ordered there.
  sim = await startSimulatorProcess();
  h = await startHarness({ worker: true, env: sim.env() });
  a = await signUp(h.app, 'Tenant A');
  b = await signUp(h.app, 'Tenant B');
  A.contactId = expectStatus(
    await request(h.app).post('/v1/contacts').set(a.auth).send({ phone: A_PHONE, name: 'Alice of A' }),
    201,
  ).body.id;
  A.listId = expectStatus(await request(h.app).post('/v1/lists').set(a.auth).send({ name: 'A list' }), 201).body.id;
  expectStatus(
    await request(h.app)
      .post(`/v1/lists/${A.listId}/contacts`)
      .set(a.auth)
      .send({ contactIds: [A.contactId] }),
    200,
  );
  A.optOutId = expectStatus(await request(h.app).post('/v1/opt-outs').set(a.auth).send({ phone: A_OPT_OUT_PHONE }), 201).body.id;
  A.apiKeyId = expectStatus(await request(h.app).post('/v1/api-keys').set(a.auth).send({ name: 'A key' }), 201).body.id;
  A.importId = await importAndWait(a, csvOf(['phone'], [['+14155551003'], ['bad']]));
  A_SENDER = expectStatus(await request(h.app).get('/v1/available-numbers?areaCode=206&limit=1').set(a.auth), 200).body.data[0].phone;
  await obtainSenderNumber(h, a, { phone: A_SENDER });
  A.senderNumberId = idOfNumber(expectStatus(await request(h.app).get('/v1/sender-numbers').set(a.auth), 200), A_SENDER);
  expectStatus(await request(h.app).put('/v1/account/messaging').set(a.auth).send({ companyName: 'A Company', helpText: 'A help' }), 200);
  A.messageId = expectStatus(
    await request(h.app).post('/v1/messages').set(a.auth).send({ to: A_RECIPIENT, from: A_SENDER, body: 'for A only' }),
    202,
  ).body.id;
  A.webhookEndpointId = expectStatus(await request(h.app).post('/v1/webhook-endpoints').set(a.auth).send(WEBHOOK), 201).body.id;
  A.campaignId = expectStatus(await request(h.app).post('/v1/campaigns').set(a.auth).send(campaignOf(A_SENDER, A.listId)), 201).body.id;
  A.dsrId = expectStatus(
    await request(h.app).post('/v1/data-subject-requests').set(a.auth).send({ type: 'access', contactId: A.contactId }),
    201,
  ).body.id;
  bListId = expectStatus(await request(h.app).post('/v1/lists').set(b.auth).send({ name: 'B list' }), 201).body.id;
  bContactId = expectStatus(await request(h.app).post('/v1/contacts').set(b.auth).send({ phone: '+14155551009' }), 201).body.id;
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

function idOfNumber(res: request.Response, phone: string): string {
  return (res.body.data as { id: string; phone: string }[]).find((n) => n.phone === phone)!.id;
}

/** One case per customer route: what account B gets when it aims at account A's data. */
const cases: Record<string, () => Promise<void>> = {
  'POST /v1/account/termination': async () => {
    // A third account terminates itself (b must stay usable for the other cases): A is untouched.
    const c = await signUp(h.app, 'Leaving C');
    const res = expectStatus(await request(h.app).post('/v1/account/termination').set(c.auth).send({ disposition: 'delete' }), 201);
    expect(res.body.accountId).toBe(c.accountId);
    expect(expectStatus(await request(h.app).get('/v1/account').set(a.auth), 200).body).toMatchObject({
      id: a.accountId,
      status: 'active',
    });
    expectStatus(await request(h.app).get('/v1/account').set(c.auth), 401);
  },
  'GET /v1/billing': async () => {
    const res = expectStatus(await request(h.app).get('/v1/billing').set(b.auth), 200);
    const own = await h.deps.pgPool.query<{ c: string | null }>('select stripe_customer_id as c from accounts where id = $1', [
      b.accountId,
    ]);
    expect(res.body.stripeCustomerId).toBe(own.rows[0]!.c);
    expect(res.body.records).toEqual([]);
  },
  'POST /v1/billing/checkout-sessions': async () => {
    // This file runs no billing worker: b's customer is made here, as the sign-up process would.
    const provider = createBillingProvider(h.config)!;
    const { customerId } = await provider.createCustomer({ accountId: b.accountId, idempotencyKey: `billing-customer/${b.accountId}` });
    await h.deps.pgPool.query('update accounts set stripe_customer_id = coalesce(stripe_customer_id, $2) where id = $1', [
      b.accountId,
      customerId,
    ]);
    const urls = { successUrl: 'https://b.example/ok', cancelUrl: 'https://b.example/no' };
    const res = expectStatus(await request(h.app).post('/v1/billing/checkout-sessions').set(b.auth).send(urls), 201);
    expect((await provider.retrieveCheckoutSession(res.body.id)).customerId).toBe(customerId);
  },
  'GET /v1/account': async () => {
    const res = expectStatus(await request(h.app).get('/v1/account').set(b.auth), 200);
    expect(res.body.id).toBe(b.accountId);
  },
  'GET /v1/api-keys': async () => {
    const { otherRow, other } = await freshPair(
      async (acct) => expectStatus(await request(h.app).post('/v1/api-keys').set(acct.auth).send({ name: 'extra' }), 201).body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/api-keys').set(other.auth))).toEqual([other.apiKeyId, otherRow]);
  },
  'POST /v1/api-keys': async () => {
    const res = expectStatus(await request(h.app).post('/v1/api-keys').set(b.auth).send({ name: 'B2' }), 201);
    const own = { Authorization: `Bearer ${res.body.key}` };
    expectStatus(await request(h.app).get(`/v1/contacts/${A.contactId}`).set(own), 404);
    expect(expectStatus(await request(h.app).get('/v1/account').set(own), 200).body.id).toBe(b.accountId);
  },
  'DELETE /v1/api-keys/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/api-keys/${A.apiKeyId}`).set(b.auth), 404);
  },
  'GET /v1/contacts': async () => {
    const { otherRow, other } = await freshPair(
      async (acct, i) =>
        expectStatus(
          await request(h.app)
            .post('/v1/contacts')
            .set(acct.auth)
            .send({ phone: `+1415555120${i}` }),
          201,
        ).body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/contacts').set(other.auth))).toEqual([otherRow]);
  },
  'POST /v1/contacts': async () => {
    const res = expectStatus(await request(h.app).post('/v1/contacts').set(b.auth).send({ phone: A_PHONE, name: 'Bob of B' }), 201);
    expect(res.body.id).not.toBe(A.contactId);
    expect(res.body).toMatchObject({ phone: A_PHONE, name: 'Bob of B' });
  },
  'GET /v1/contacts/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/contacts/${A.contactId}`).set(b.auth), 404);
  },
  'PATCH /v1/contacts/{id}': async () => {
    expectStatus(await request(h.app).patch(`/v1/contacts/${A.contactId}`).set(b.auth).send({ name: 'x' }), 404);
  },
  'DELETE /v1/contacts/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/contacts/${A.contactId}`).set(b.auth), 404);
  },
  'POST /v1/contacts/imports': async () => {
    // A fresh account imports A's number: it gets its own contact; A's stays A's (checked at the end).
    const importer = await signUp(h.app, 'Importer');
    const id = await importAndWait(importer, csvOf(['phone', 'name'], [[A_PHONE, 'Imported by B']]));
    const imp = expectStatus(await request(h.app).get(`/v1/contacts/imports/${id}`).set(importer.auth), 200);
    expect(imp.body).toMatchObject({ status: 'completed', created: 1, updated: 0, duplicates: 0, invalid: 0, optedOut: 0 });
    const contacts = expectStatus(await request(h.app).get('/v1/contacts').set(importer.auth), 200).body.data;
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ phone: A_PHONE, name: 'Imported by B' });
    expect(contacts[0].id).not.toBe(A.contactId);
  },
  'GET /v1/contacts/imports': async () => {
    const { otherRow, other } = await freshPair((acct, i) => importAndWait(acct, csvOf(['phone'], [[`+1415555130${i}`]])));
    expect(idsIn(await request(h.app).get('/v1/contacts/imports').set(other.auth))).toEqual([otherRow]);
  },
  'GET /v1/contacts/imports/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/contacts/imports/${A.importId}`).set(b.auth), 404);
  },
  'GET /v1/contacts/imports/{id}/errors': async () => {
    expectStatus(await request(h.app).get(`/v1/contacts/imports/${A.importId}/errors`).set(b.auth), 404);
  },
  'GET /v1/lists': async () => {
    const { otherRow, other } = await freshPair(
      async (acct) =>
        expectStatus(await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'Same name' }), 201).body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/lists').set(other.auth))).toEqual([otherRow]);
  },
  'POST /v1/lists': async () => {
    const creator = await signUp(h.app, 'List maker');
    const res = expectStatus(await request(h.app).post('/v1/lists').set(creator.auth).send({ name: 'A list' }), 201);
    expect(res.body).toMatchObject({ name: 'A list', size: 0 });
    expect(res.body.id).not.toBe(A.listId);
    expect(idsIn(await request(h.app).get('/v1/lists').set(creator.auth))).toEqual([res.body.id]);
    expectStatus(await request(h.app).get(`/v1/lists/${res.body.id}`).set(a.auth), 404);
  },
  'GET /v1/lists/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/lists/${A.listId}`).set(b.auth), 404);
  },
  'PATCH /v1/lists/{id}': async () => {
    expectStatus(await request(h.app).patch(`/v1/lists/${A.listId}`).set(b.auth).send({ name: 'mine' }), 404);
  },
  'DELETE /v1/lists/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/lists/${A.listId}`).set(b.auth), 404);
  },
  'GET /v1/lists/{id}/contacts': async () => {
    expectStatus(await request(h.app).get(`/v1/lists/${A.listId}/contacts`).set(b.auth), 404);
  },
  'POST /v1/lists/{id}/contacts': async () => {
    expectStatus(
      await request(h.app)
        .post(`/v1/lists/${A.listId}/contacts`)
        .set(b.auth)
        .send({ contactIds: [bContactId] }),
      404,
    );
    expectStatus(
      await request(h.app)
        .post(`/v1/lists/${bListId}/contacts`)
        .set(b.auth)
        .send({ contactIds: [A.contactId] }),
      422,
    );
    expect(idsIn(await request(h.app).get(`/v1/lists/${bListId}/contacts`).set(b.auth))).toEqual([]);
  },
  'DELETE /v1/lists/{id}/contacts/{contactId}': async () => {
    expectStatus(await request(h.app).delete(`/v1/lists/${A.listId}/contacts/${A.contactId}`).set(b.auth), 404);
  },
  'GET /v1/opt-outs': async () => {
    const { otherRow, other } = await freshPair(
      async (acct) =>
        expectStatus(await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155551400' }), 201).body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/opt-outs').set(other.auth))).toEqual([otherRow]);
  },
  'POST /v1/opt-outs': async () => {
    // A's opt-out of the same number is not B's: B's is new.
    const res = expectStatus(await request(h.app).post('/v1/opt-outs').set(b.auth).send({ phone: A_OPT_OUT_PHONE }), 201);
    expect(res.body.id).not.toBe(A.optOutId);
  },
  'DELETE /v1/opt-outs/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/opt-outs/${A.optOutId}`).set(b.auth).send({ reason: 'mine now' }), 404);
  },
  'GET /v1/sender-numbers': async () => {
    const { otherRow, other } = await freshPair(async (acct) => {
      const phone = await obtainSenderNumber(h, acct);
      return idOfNumber(await request(h.app).get('/v1/sender-numbers').set(acct.auth), phone);
    });
    expect(idsIn(await request(h.app).get('/v1/sender-numbers').set(other.auth))).toEqual([otherRow]);
  },
  'POST /v1/sender-numbers': async () => {
    // A number belongs to one account: B cannot take A's (inbound to it would be routed to B).
    expectStatus(await request(h.app).post('/v1/sender-numbers').set(b.auth).send({ phone: A_SENDER }), 409);
  },
  'GET /v1/available-numbers': async () => {
    // A's number was the first the carrier offered in 206: B is never offered it.
    const offered = expectStatus(await request(h.app).get('/v1/available-numbers?areaCode=206&limit=50').set(b.auth), 200);
    expect((offered.body.data as { phone: string }[]).map((n) => n.phone)).not.toContain(A_SENDER);
  },
  'GET /v1/sender-numbers/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/sender-numbers/${A.senderNumberId}`).set(b.auth), 404);
  },
  'DELETE /v1/sender-numbers/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/sender-numbers/${A.senderNumberId}`).set(b.auth), 404);
  },
  'GET /v1/sessions': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const ofA = sessionIds(expectStatus(await request(h.app).get('/v1/sessions').set(holderA.session), 200).body);
    const seenByB = sessionIds(expectStatus(await request(h.app).get('/v1/sessions').set(holderB.session), 200).body);
    expect(ofA.length).toBeGreaterThan(0);
    expect(seenByB.filter((id) => ofA.includes(id))).toEqual([]);
  },
  'DELETE /v1/sessions/{id}': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const ofA = sessionIds(expectStatus(await request(h.app).get('/v1/sessions').set(holderA.session), 200).body);
    for (const id of ofA) expectStatus(await request(h.app).delete(`/v1/sessions/${id}`).set(holderB.session), 404);
    expectStatus(await request(h.app).get('/v1/account/profile').set(holderA.session), 200);
  },
  'DELETE /v1/sessions': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).delete('/v1/sessions').set(holderB.session), 200);
    expectStatus(await request(h.app).get('/v1/account/profile').set(holderA.session), 200);
  },
  'DELETE /v1/auth/google': async () => {
    // A's holder has Google linked; B's unlinking ends only B's own (B has none: 404).
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    await h.deps.pgPool.query(
      `insert into holder_oidc_identities (issuer, subject, user_id, created_at) values ('https://accounts.google.com', $1, $2, now())`,
      [`sub-of-${holderA.userId}`, holderA.userId],
    );
    expectStatus(await request(h.app).delete('/v1/auth/google').set(holderB.session), 404);
    const { rows } = await h.deps.pgPool.query('select user_id from holder_oidc_identities where user_id = $1', [holderA.userId]);
    expect(rows).toEqual([{ user_id: holderA.userId }]);
  },
  'POST /v1/sessions/sign-out': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).post('/v1/sessions/sign-out').set(holderB.session), 200);
    expectStatus(await request(h.app).get('/v1/account/profile').set(holderA.session), 200);
  },
  'GET /v1/account/consents': async () => {
    // Holder routes take a holder's session: B's holder aims at what A's holder recorded.
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).put('/v1/account/consents').set(holderA.session).send({ marketing_email: true }), 200);
    const seen = expectStatus(await request(h.app).get('/v1/account/consents').set(holderB.session), 200).body;
    expect(seen.history).toEqual([]);
    expect(seen.data[1]).toMatchObject({ purpose: 'marketing_email', granted: false, source: 'default' });
  },
  'PUT /v1/account/consents': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).put('/v1/account/consents').set(holderB.session).send({ marketing_email: true }), 200);
    const ofA = expectStatus(await request(h.app).get('/v1/account/consents').set(holderA.session), 200).body;
    expect(ofA.history).toEqual([]);
    expect(ofA.data[1]).toMatchObject({ purpose: 'marketing_email', granted: false, source: 'default' });
  },
  'GET /v1/account/profile': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).patch('/v1/account/profile').set(holderA.session).send({ name: 'Ada A', taxId: 'DE1' }), 200);
    const seen = expectStatus(await request(h.app).get('/v1/account/profile').set(holderB.session), 200).body;
    expect(seen).toMatchObject({ email: holderB.email, name: null, taxId: null });
  },
  'PATCH /v1/account/profile': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).patch('/v1/account/profile').set(holderA.session).send({ name: 'Ada A' }), 200);
    expectStatus(await request(h.app).patch('/v1/account/profile').set(holderB.session).send({ name: 'Taken over' }), 200);
    expect(expectStatus(await request(h.app).get('/v1/account/profile').set(holderA.session), 200).body.name).toBe('Ada A');
  },
  'POST /v1/account/password': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const body = { currentPassword: HOLDER_PASSWORD, newPassword: 'B changed it to this' };
    expectStatus(await request(h.app).post('/v1/account/password').set(holderB.session).send(body), 204);
    expectStatus(await request(h.app).get('/v1/account/profile').set(holderA.session), 200);
    const signIn = await request(h.app).post('/v1/sessions').set(publicAddress()).send({ email: holderA.email, password: HOLDER_PASSWORD });
    expectStatus(signIn, 201);
  },
  'GET /v1/account/members': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const seen = expectStatus(await request(h.app).get('/v1/account/members').set(holderB.session), 200).body;
    expect(seen.data.map((m: { email: string }) => m.email)).toEqual([holderB.email]);
    expect(JSON.stringify(seen)).not.toContain(holderA.email);
  },
  'POST /v1/account/invitations': async () => {
    // B may invite A's holder to B's account; A's account gains nobody.
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(
      await request(h.app).post('/v1/account/invitations').set(holderB.session).send({ email: holderA.email, role: 'admin' }),
      201,
    );
    const ofA = expectStatus(await request(h.app).get('/v1/account/members').set(holderA.session), 200).body;
    expect(ofA).toMatchObject({ data: [{ email: holderA.email }], invitations: [] });
  },
  'DELETE /v1/account/invitations/{id}': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const made = expectStatus(
      await request(h.app)
        .post('/v1/account/invitations')
        .set(holderA.session)
        .send({ email: 'invitee-of-a@example.com', role: 'developer' }),
      201,
    ).body;
    expectStatus(await request(h.app).delete(`/v1/account/invitations/${made.id}`).set(holderB.session), 404);
    expect(expectStatus(await request(h.app).get('/v1/account/members').set(holderA.session), 200).body.invitations).toEqual([made]);
  },
  'PATCH /v1/account/members/{id}': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).patch(`/v1/account/members/${holderA.userId}`).set(holderB.session).send({ role: 'billing' }), 404);
    expect(expectStatus(await request(h.app).get('/v1/account/members').set(holderA.session), 200).body.data[0].role).toBe('owner');
  },
  'DELETE /v1/account/members/{id}': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).delete(`/v1/account/members/${holderA.userId}`).set(holderB.session), 404);
    expectStatus(await request(h.app).get('/v1/account/members').set(holderA.session), 200);
  },
  'POST /v1/account/invitation-acceptances': async () => {
    // A invites someone; B, holding the emailed token, cannot take the seat.
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const invitee = `invitee-${randomUUID()}@example.com`;
    expectStatus(await request(h.app).post('/v1/account/invitations').set(holderA.session).send({ email: invitee, role: 'admin' }), 201);
    const token = /mse_[A-Za-z0-9_-]{43}/.exec((await sim.control.emails(invitee))[0]!.text ?? '')![0];
    expectStatus(await request(h.app).post('/v1/account/invitation-acceptances').set(holderB.session).send({ token }), 403);
    const ofA = expectStatus(await request(h.app).get('/v1/account/members').set(holderA.session), 200).body;
    expect(ofA.data.map((m: { email: string }) => m.email)).toEqual([holderA.email]);
  },
  'POST /v1/account/email-change-requests': async () => {
    // B asks for A's address: the same answer, no link, and A's sign-in is A's.
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    const body = { newEmail: holderA.email, currentPassword: HOLDER_PASSWORD };
    expectStatus(await request(h.app).post('/v1/account/email-change-requests').set(holderB.session).send(body), 202);
    const links = await h.deps.pgPool.query(`select 1 from email_links where new_email = $1`, [holderA.email]);
    expect(links.rows).toEqual([]);
    expectStatus(
      await request(h.app).post('/v1/sessions').set(publicAddress()).send({ email: holderA.email, password: HOLDER_PASSWORD }),
      201,
    );
  },
  'POST /v1/sessions/account': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).post('/v1/sessions/account').set(holderB.session).send({ accountId: holderA.accountId }), 404);
    expectStatus(await request(h.app).get('/v1/account/profile').set(holderB.session), 200);
  },
  'GET /v1/account/personal-data': async () => {
    const [holderA, holderB] = [await signUpHolder(h, 'Holder A'), await signUpHolder(h, 'Holder B')];
    expectStatus(await request(h.app).patch('/v1/account/profile').set(holderA.session).send({ name: 'Ada A' }), 200);
    const mine = expectStatus(await request(h.app).get('/v1/account/personal-data').set(holderB.session), 200).body;
    expect(mine.profile.email).toBe(holderB.email);
    expect(mine.accounts.map((a: { accountId: string }) => a.accountId)).toEqual([holderB.accountId]);
    expect(JSON.stringify(mine)).not.toContain(holderA.email);
    expect(JSON.stringify(mine)).not.toContain(holderA.accountId);
  },
  'GET /v1/account/messaging': async () => {
    const res = expectStatus(await request(h.app).get('/v1/account/messaging').set(b.auth), 200);
    expect(res.body).toMatchObject({ companyName: null, helpText: null, effectiveCompanyName: 'Tenant B' });
  },
  'PUT /v1/account/messaging': async () => {
    const res = expectStatus(
      await request(h.app).put('/v1/account/messaging').set(b.auth).send({ companyName: 'B Co', helpText: null }),
      200,
    );
    expect(res.body).toMatchObject({ companyName: 'B Co', effectiveHelpText: expect.stringContaining('B Co') });
  },
  'GET /v1/usage': async () => {
    // A's usage row (what a sent message leaves) is not B's usage.
    await h.deps.pgPool.query(
      `insert into usage_events (id, message_id, account_id, sender, segments, accepted_at, next_attempt_at)
       values ($1, $2, $3, $4, 3, now(), now())`,
      [uuidv7(), A.messageId, a.accountId, A_SENDER],
    );
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const mine = expectStatus(await request(h.app).get('/v1/usage').query({ from, groupBy: 'sender' }).set(a.auth), 200);
    expect(mine.body.totals).toMatchObject({ segments: 3, messages: 1 });
    const res = expectStatus(await request(h.app).get('/v1/usage').query({ from, groupBy: 'sender' }).set(b.auth), 200);
    expect(res.body).toMatchObject({ totals: { segments: 0, messages: 0, cost: '0.00' }, data: [] });
  },
  'PATCH /v1/billing': async () => {
    const res = expectStatus(await request(h.app).patch('/v1/billing').set(b.auth).send({ monthlySpendCap: '1.00' }), 200);
    expect(res.body.spendCap).toMatchObject({ monthlyCap: '1.00', periodSegments: 0 });
  },
  'POST /v1/messages': async () => {
    const res = expectStatus(
      await request(h.app).post('/v1/messages').set(b.auth).send({ to: A_RECIPIENT, from: A_SENDER, body: 'from A?' }),
      422,
    );
    expect(res.body.type).toBe('https://massivesms.dev/problems/sender_not_registered');
  },
  'POST /v1/messages/batch': async () => {
    const res = expectStatus(
      await request(h.app)
        .post('/v1/messages/batch')
        .set(b.auth)
        .send({ messages: [{ to: A_RECIPIENT, from: A_SENDER, body: 'from A?' }] }),
      202,
    );
    expect(res.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(res.body.results[0].error.type).toBe('https://massivesms.dev/problems/sender_not_registered');
  },
  'GET /v1/messages': async () => {
    const { otherRow, other } = await freshPair(async (acct) => {
      const from = await obtainSenderNumber(h, acct);
      return expectStatus(await request(h.app).post('/v1/messages').set(acct.auth).send({ to: A_RECIPIENT, from, body: 'x' }), 202).body
        .id as string;
    });
    expect(idsIn(await request(h.app).get('/v1/messages').set(other.auth))).toEqual([otherRow]);
    expect(idsIn(await request(h.app).get('/v1/messages').set(other.auth).query({ to: A_RECIPIENT }))).toEqual([otherRow]);
  },
  'GET /v1/messages/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/messages/${A.messageId}`).set(b.auth), 404);
  },
  'GET /v1/webhook-endpoints': async () => {
    const { otherRow, other } = await freshPair(
      async (acct) => expectStatus(await request(h.app).post('/v1/webhook-endpoints').set(acct.auth).send(WEBHOOK), 201).body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/webhook-endpoints').set(other.auth))).toEqual([otherRow]);
  },
  'POST /v1/webhook-endpoints': async () => {
    // B subscribes to the same URL: an event of B's is delivered to B's endpoint only, never queued for A's.
    const res = expectStatus(await request(h.app).post('/v1/webhook-endpoints').set(b.auth).send(WEBHOOK), 201);
    expect(res.body.id).not.toBe(A.webhookEndpointId);
    await h.deps.orm.em.fork().transactional((em) => publishCustomerEvent(em, b.accountId, 'message.status', { messageId: 'b-1' }, h.deps));
    expect(idsIn(await request(h.app).get(`/v1/webhook-endpoints/${res.body.id}/deliveries`).set(b.auth))).toHaveLength(1);
    expect(idsIn(await request(h.app).get(`/v1/webhook-endpoints/${A.webhookEndpointId}/deliveries`).set(a.auth))).toEqual([]);
  },
  'GET /v1/webhook-endpoints/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/webhook-endpoints/${A.webhookEndpointId}`).set(b.auth), 404);
  },
  'PATCH /v1/webhook-endpoints/{id}': async () => {
    expectStatus(
      await request(h.app).patch(`/v1/webhook-endpoints/${A.webhookEndpointId}`).set(b.auth).send({ url: 'https://8.8.8.8/b' }),
      404,
    );
  },
  'DELETE /v1/webhook-endpoints/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/webhook-endpoints/${A.webhookEndpointId}`).set(b.auth), 404);
  },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': async () => {
    expectStatus(await request(h.app).post(`/v1/webhook-endpoints/${A.webhookEndpointId}/rotate-secret`).set(b.auth), 404);
  },
  'GET /v1/webhook-endpoints/{id}/deliveries': async () => {
    expectStatus(await request(h.app).get(`/v1/webhook-endpoints/${A.webhookEndpointId}/deliveries`).set(b.auth), 404);
  },
  'POST /v1/campaigns': async () => {
    await bSender();
    const res = expectStatus(await request(h.app).post('/v1/campaigns').set(b.auth).send(campaignOf(B_SENDER, A.listId)), 422);
    expect(res.body.errors).toEqual([{ field: 'audience.listIds', reason: `list ${A.listId} not found` }]);
    const fromA = expectStatus(await request(h.app).post('/v1/campaigns').set(b.auth).send(campaignOf(A_SENDER, bListId)), 422);
    expect(fromA.body.errors[0].field).toBe('from');
  },
  'GET /v1/campaigns': async () => {
    const { otherRow, other } = await freshPair(async (acct) => {
      const from = await obtainSenderNumber(h, acct);
      const list = expectStatus(await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'l' }), 201).body.id as string;
      return expectStatus(await request(h.app).post('/v1/campaigns').set(acct.auth).send(campaignOf(from, list)), 201).body.id as string;
    });
    expect(idsIn(await request(h.app).get('/v1/campaigns').set(other.auth))).toEqual([otherRow]);
  },
  'GET /v1/campaigns/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}`).set(b.auth), 404);
  },
  'PATCH /v1/campaigns/{id}': async () => {
    expectStatus(await request(h.app).patch(`/v1/campaigns/${A.campaignId}`).set(b.auth).send({ name: 'taken over' }), 404);
    expect(expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}`).set(a.auth), 200).body.name).toBe('Campaign');
  },
  'DELETE /v1/campaigns/{id}': async () => {
    expectStatus(await request(h.app).delete(`/v1/campaigns/${A.campaignId}`).set(b.auth), 404);
    expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}`).set(a.auth), 200);
  },
  'POST /v1/campaigns/{id}/launch': async () => {
    expectStatus(await request(h.app).post(`/v1/campaigns/${A.campaignId}/launch`).set(b.auth), 404);
    expect(expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}`).set(a.auth), 200).body.status).toBe('draft');
  },
  'POST /v1/campaigns/{id}/pause': async () => {
    expectStatus(await request(h.app).post(`/v1/campaigns/${A.campaignId}/pause`).set(b.auth), 404);
  },
  'POST /v1/campaigns/{id}/resume': async () => {
    expectStatus(await request(h.app).post(`/v1/campaigns/${A.campaignId}/resume`).set(b.auth), 404);
  },
  'POST /v1/campaigns/{id}/cancel': async () => {
    expectStatus(await request(h.app).post(`/v1/campaigns/${A.campaignId}/cancel`).set(b.auth), 404);
    expect(expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}`).set(a.auth), 200).body.status).toBe('draft');
  },
  'GET /v1/notices': async () => {
    const processId = `breach:${uuidv7()}`;
    await insertCustomerNotice(h.deps.orm.em.fork(), {
      processId,
      phase: 'full',
      accountId: a.accountId,
      title: 'For A only',
      body: 'b',
      contentVersion: 'v1',
      shownFrom: new Date(),
      shownUntil: null,
    });
    const seen = (res: request.Response) => (expectStatus(res, 200).body.data as { processId: string }[]).map((n) => n.processId);
    expect(seen(await request(h.app).get('/v1/notices').set(b.auth))).not.toContain(processId);
    expect(seen(await request(h.app).get('/v1/notices').set(a.auth))).toContain(processId);
  },
  'POST /v1/subprocessors/{id}/objections': async () => {
    const { id, aObjectionId } = await pendingSubprocessor();
    // B's objection is B's own: A's does not stand in its way, and A's is left as it was.
    const res = expectStatus(
      await request(h.app).post(`/v1/subprocessors/${id}/objections`).set(b.auth).send({ reason: 'B objects' }),
      201,
    );
    expect(res.body).toMatchObject({ accountId: b.accountId, reason: 'B objects' });
    const mine = expectStatus(await request(h.app).get(`/v1/subprocessors/${id}/objections`).set(a.auth), 200).body.data;
    expect(mine).toEqual([expect.objectContaining({ id: aObjectionId, accountId: a.accountId, reason: 'A objects', status: 'open' })]);
  },
  'GET /v1/subprocessors/{id}/objections': async () => {
    const { id, aObjectionId } = await pendingSubprocessor();
    const seen = expectStatus(await request(h.app).get(`/v1/subprocessors/${id}/objections`).set(b.auth), 200).body.data as {
      id: string;
      accountId: string;
    }[];
    expect(seen.map((o) => o.id)).not.toContain(aObjectionId);
    expect(seen.every((o) => o.accountId === b.accountId)).toBe(true);
  },
  'GET /v1/campaigns/{id}/preview': async () => {
    expectStatus(await request(h.app).get(`/v1/campaigns/${A.campaignId}/preview`).query({ contactId: bContactId }).set(b.auth), 404);
    await bSender();
    const own = expectStatus(await request(h.app).post('/v1/campaigns').set(b.auth).send(campaignOf(B_SENDER, bListId)), 201).body.id;
    const res = expectStatus(await request(h.app).get(`/v1/campaigns/${own}/preview`).query({ contactId: A.contactId }).set(b.auth), 404);
    expect(res.body.detail).toBe('contact not found');
  },
  'POST /v1/data-subject-requests': async () => {
    const res = expectStatus(
      await request(h.app).post('/v1/data-subject-requests').set(b.auth).send({ type: 'erasure', contactId: A.contactId }),
      422,
    );
    expect(res.body.errors).toEqual([{ field: 'contactId', reason: 'no such contact in this account' }]);
    // B asking about A's contact's number gets a request of its own, never naming A's contact.
    const own = expectStatus(
      await request(h.app).post('/v1/data-subject-requests').set(b.auth).send({ type: 'rectification', phone: A_PHONE }),
      201,
    );
    expect(own.body).toMatchObject({ accountId: b.accountId, subject: { phone: A_PHONE } });
    expect(own.body.subject.contactId).not.toBe(A.contactId);
  },
  'GET /v1/data-subject-requests': async () => {
    const { otherRow, other } = await freshPair(
      async (acct) =>
        expectStatus(await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send({ type: 'access', phone: A_PHONE }), 201)
          .body.id as string,
    );
    expect(idsIn(await request(h.app).get('/v1/data-subject-requests').set(other.auth))).toEqual([otherRow]);
  },
  'GET /v1/data-subject-requests/{id}': async () => {
    expectStatus(await request(h.app).get(`/v1/data-subject-requests/${A.dsrId}`).set(b.auth), 404);
  },
  'GET /v1/data-subject-requests/{id}/export': async () => {
    expectStatus(await request(h.app).get(`/v1/data-subject-requests/${A.dsrId}/export`).set(b.auth), 404);
  },
};

/** A pending subprocessor A objected to, made once whichever case needs it first (no process: the routes read the rows). */
let pending: Promise<{ id: string; aObjectionId: string }> | undefined;
function pendingSubprocessor() {
  pending ??= (async () => {
    const id = uuidv7();
    await insertSubprocessor(h.deps.orm.em.fork(), {
      id,
      vendor: `isolation-${randomUUID().slice(0, 8)}`,
      name: 'Isolation Vendor',
      purpose: 'p',
      locations: ['EU'],
      recipientData: true,
      status: 'pending',
      announcedAt: new Date(),
      effectiveAt: new Date(Date.now() + 31 * 86_400_000),
      activatedAt: null,
    });
    const res = expectStatus(
      await request(h.app).post(`/v1/subprocessors/${id}/objections`).set(a.auth).send({ reason: 'A objects' }),
      201,
    );
    return { id, aObjectionId: res.body.id as string };
  })();
  return pending;
}

/** B's sender number, registered once whichever case needs it first. */
async function bSender(): Promise<void> {
  const held = await request(h.app).get('/v1/sender-numbers').set(b.auth);
  if (!(held.body.data as { phone: string }[]).some((n) => n.phone === B_SENDER)) await obtainSenderNumber(h, b, { phone: B_SENDER });
}

const sessionIds = (page: { data: { id: string }[] }) => page.data.map((s) => s.id);

describe('tenant isolation', () => {
  it('has a case for every customer route', async () => {
    expect(Object.keys(cases).sort()).toEqual(await customerRoutes(h.app));
  });

  it.each(Object.keys(cases))('%s never reaches account A', async (route) => {
    await cases[route]!();
  });

  it("leaves account A's data exactly as it was", async () => {
    const contact = expectStatus(await request(h.app).get(`/v1/contacts/${A.contactId}`).set(a.auth), 200);
    expect(contact.body).toMatchObject({ phone: A_PHONE, name: 'Alice of A' });
    expect(idsIn(await request(h.app).get('/v1/contacts').set(a.auth))).toEqual([A.contactId, expect.any(String)]);
    expect(expectStatus(await request(h.app).get(`/v1/lists/${A.listId}`).set(a.auth), 200).body.size).toBe(1);
    expect(idsIn(await request(h.app).get('/v1/lists').set(a.auth))).toEqual([A.listId]);
    expect(idsIn(await request(h.app).get('/v1/opt-outs').set(a.auth))).toEqual([A.optOutId]);
    const keys = expectStatus(await request(h.app).get('/v1/api-keys').set(a.auth), 200).body.data as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(keys.map((k) => k.id).sort()).toEqual([a.apiKeyId, A.apiKeyId].sort());
    expect(keys.every((k) => k.revokedAt === null)).toBe(true);
    expect(expectStatus(await request(h.app).get(`/v1/webhook-endpoints/${A.webhookEndpointId}`).set(a.auth), 200).body).toMatchObject({
      url: WEBHOOK.url,
      eventTypes: WEBHOOK.eventTypes,
      status: 'active',
    });
    expect(expectStatus(await request(h.app).get(`/v1/contacts/imports/${A.importId}`).set(a.auth), 200).body).toMatchObject({
      created: 1,
      invalid: 1,
    });
    expect(expectStatus(await request(h.app).get(`/v1/sender-numbers/${A.senderNumberId}`).set(a.auth), 200).body.phone).toBe(A_SENDER);
    expect(expectStatus(await request(h.app).get('/v1/account/messaging').set(a.auth), 200).body).toMatchObject({
      companyName: 'A Company',
      helpText: 'A help',
    });
    expect(expectStatus(await request(h.app).get(`/v1/messages/${A.messageId}`).set(a.auth), 200).body).toMatchObject({
      to: A_RECIPIENT,
      from: A_SENDER,
      body: 'for A only',
      status: 'queued',
    });
    expect(idsIn(await request(h.app).get('/v1/messages').set(a.auth))).toEqual([A.messageId]);
    // B's cap is B's: A has none, and A can still send.
    const cap = await h.deps.pgPool.query(`select monthly_cap_micros from billing_account_settings where account_id = $1`, [a.accountId]);
    expect(cap.rows).toEqual([]);
  });
});
