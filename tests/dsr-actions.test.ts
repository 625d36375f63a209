import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import request from 'supertest';
import { obtainSenderNumber } from './support/sender-numbers';
import { createDsrActivities } from '../activities/dsr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneHash } from '../lib/crypto/phone-hash';
import { uuidv7 } from '../lib/ids';
import { insertMessages } from '../services/messaging/message-store';
import { dsrWorkflowId } from '../workflows/lifecycle/dsr';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startBackgroundWorker } from './support/bundled-worker';
import { startHarness, type Harness } from './support/harness';
import { columnsHolding } from './support/database-scan';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';

let h: Harness;
let backgroundWorker: { stop(): Promise<void> };
let staff: { Authorization: string };
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  h = await startHarness();
  backgroundWorker = await startBackgroundWorker(h);
  staff = staffBearer(await staffSignIn(h.app, await createStaffUser(h, 'privacy')));
});
afterAll(async () => {
  await backgroundWorker?.stop();
  await h?.close();
});

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);
const hashOf = (phone: string) => phoneHash(h.deps.keys.phoneHashKey, phone);

/** Messages of `phone` as a carrier path would have left them (delivered, with a body and sealed number). */
async function messagesTo(acct: TestAccount, phone: string, statuses: ('delivered' | 'queued')[]): Promise<string[]> {
  const rows = statuses.map((status) => ({
    id: uuidv7(),
    accountId: acct.accountId,
    direction: 'outbound' as const,
    kind: 'api' as const,
    recipientHash: hashOf(phone),
    recipientPii: randomBytes(40),
    sender: '+14155550999',
    body: randomBytes(40),
    encoding: 'GSM-7' as const,
    segments: 1,
    status: status as 'queued',
    createdAt: new Date(),
  }));
  await h.deps.orm.em.fork().transactional((em) => insertMessages(em, rows));
  const delivered = rows.filter((_, i) => statuses[i] === 'delivered').map((r) => r.id);
  if (delivered.length) {
    await sql(
      `update messages set status = 'delivered', next_attempt_at = null where id in (${delivered.map(() => '?').join(', ')})`,
      delivered,
    );
  }
  return rows.map((r) => r.id);
}

/** Polls `check` until it holds (a bounded wait on a condition, not a sleep). */
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function requestAndWait(acct: TestAccount, body: Record<string, unknown>) {
  const res = await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await h.temporal.workflow.getHandle(dsrWorkflowId(res.body.id)).result();
  const done = await request(h.app).get(`/v1/data-subject-requests/${res.body.id}`).set(acct.auth);
  expect(done.status).toBe(200);
  return done.body;
}

/** Everything Temporal keeps of the request's run (inputs, results, queries' sources, failures), as text. */
async function historyText(id: string): Promise<string> {
  const history = await h.temporal.workflow.getHandle(dsrWorkflowId(id)).fetchHistory();
  // History in its JSON form: every payload's `data` is base64; decode it so values inside can be found.
  return JSON.stringify(history, (key, v: unknown) =>
    key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('latin1') : v,
  );
}

async function contact(acct: TestAccount, phone: string, name: string) {
  const res = await request(h.app)
    .post('/v1/contacts')
    .set(acct.auth)
    .send({ phone, name, attributes: { city: 'Lyon' } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('what the product does itself for a data subject request', () => {
  it('erasure: the contact, its memberships and every body and sealed number go; the opt-out hash stays; other recipients untouched', async () => {
    const acct = await signUp(h.app, 'Erase');
    const phone = '+14155553001';
    const other = '+14155553002';
    const contactId = await contact(acct, phone, 'Erin');
    const list = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'L' });
    await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [contactId] });
    expect((await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone })).status).toBe(201);
    const [delivered1, delivered2, queued] = await messagesTo(acct, phone, ['delivered', 'delivered', 'queued']);
    const [untouched] = await messagesTo(acct, other, ['delivered']);

    const dsr = await requestAndWait(acct, { type: 'erasure', contactId });
    expect(dsr).toMatchObject({
      status: 'completed',
      subject: { contactId, phone: null },
      outcome: { action: 'erased', contactDeleted: true, messagesPurged: 3, messagesSuppressed: 1 },
    });
    expect((await request(h.app).get(`/v1/contacts/${contactId}`).set(acct.auth)).status).toBe(404);
    expect(await sql('select 1 from list_memberships where contact_id = ?', [contactId])).toHaveLength(0);
    const msgs = await sql<{ id: string; body: Buffer | null; recipient_pii: Buffer | null; status: string }>(
      'select m.id, b.body, m.recipient_pii, m.status from messages m left join message_bodies b on b.message_id = m.id where m.account_id = ? order by m.id',
      [acct.accountId],
    );
    const byId = new Map(msgs.map((m) => [m.id, m]));
    for (const id of [delivered1!, delivered2!, queued!]) expect(byId.get(id)).toMatchObject({ body: null, recipient_pii: null });
    expect(byId.get(queued!)!.status).toBe('suppressed');
    expect(byId.get(untouched!)!.body).not.toBeNull();
    expect(byId.get(untouched!)!.recipient_pii).not.toBeNull();
    const optOuts = await sql<{ phone_hash: Buffer; phone_pii: Buffer | null }>(
      'select phone_hash, phone_pii from opt_outs where account_id = ?',
      [acct.accountId],
    );
    expect(optOuts).toHaveLength(1);
    expect(optOuts[0]!.phone_hash.equals(hashOf(phone))).toBe(true);
    expect(optOuts[0]!.phone_pii).toBeNull();
    const [row] = await sql<{ subject_pii: Buffer | null }>('select subject_pii from data_subject_requests where id = ?', [dsr.id]);
    expect(row!.subject_pii).toBeNull();
    const history = await historyText(dsr.id);
    expect(history).toContain(`{\\"requestId\\":\\"${dsr.id}\\",`); // the decoded input, JSON inside JSON
    for (const pii of [phone, phone.slice(2), 'Erin']) expect(history).not.toContain(pii);
  });

  it('erasure: no column of any table keeps the number hash (only the opt-out) nor a campaign recipient row of the subject', async () => {
    const acct = await signUp(h.app, 'Erase all');
    const phone = '+14155553101';
    const other = '+14155553102';
    const sender = '+14155553100';
    const contactId = await contact(acct, phone, 'Eve');
    const otherId = await contact(acct, other, 'Olaf');
    const list = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'All' });
    await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [contactId, otherId] });
    await obtainSenderNumber(h, acct, { phone: sender });
    const campaign = async (name: string) => {
      const res = await request(h.app)
        .post('/v1/campaigns')
        .set(acct.auth)
        .send({ name, template: 'Hi {{name}}', from: sender, audience: { listIds: [list.body.id] }, ratePerSecond: 5 });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const [sent, running] = [await campaign('Sent'), await campaign('Running')];
    // The snapshots as the campaign workflow leaves them: the subject queued in one, still pending in the other.
    await sql(
      `insert into campaign_recipients (campaign_id, account_id, contact_id, phone_hash, state) values
         (?, ?, ?, ?, 'queued'), (?, ?, ?, ?, 'pending'), (?, ?, ?, ?, 'pending')`,
      [
        sent,
        acct.accountId,
        contactId,
        hashOf(phone),
        running,
        acct.accountId,
        contactId,
        hashOf(phone),
        running,
        acct.accountId,
        otherId,
        hashOf(other),
      ],
    );
    expect((await request(h.app).post('/v1/opt-outs').set(acct.auth).send({ phone })).status).toBe(201);
    await sql(`insert into recipient_restrictions (account_id, phone_hash, reason, created_at) values (?, ?, 'asked', now())`, [
      acct.accountId,
      hashOf(phone),
    ]);
    await messagesTo(acct, phone, ['delivered', 'queued']);
    // A reply from the subject, as the carrier webhook stores it.
    await sql(
      `with m as (
         insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, created_at, updated_at)
         values (?, ?, 'inbound', 'inbound', ?, ?, 'GSM-7', 1, 'received', now(), now()) returning id, account_id, created_at)
       insert into message_bodies (message_id, account_id, body, created_at) select id, account_id, ?, created_at from m`,
      [uuidv7(), acct.accountId, hashOf(phone), sender, randomBytes(40)],
    );
    const [untouched] = await messagesTo(acct, other, ['delivered']);
    const access = await requestAndWait(acct, { type: 'access', phone });

    const dsr = await requestAndWait(acct, { type: 'erasure', contactId });
    expect(dsr).toMatchObject({
      status: 'completed',
      subject: { contactId, phone: null },
      outcome: { action: 'erased', contactDeleted: true, messagesPurged: 3, messagesSuppressed: 1 },
    });
    expect(await columnsHolding(h.deps.pgPool, [hashOf(phone)], ['opt_outs'])).toEqual([]);
    expect(await columnsHolding(h.deps.pgPool, [hashOf(phone)])).toEqual(['opt_outs.phone_hash']);
    expect(await sql('select 1 from campaign_recipients where contact_id = ?', [contactId])).toHaveLength(0);
    // The pending one is counted skipped, as the campaign counts a deleted contact; the other recipient stays.
    const totals = await sql<{ id: string; skipped_counts: Record<string, number> }>(
      'select id, skipped_counts from campaigns where account_id = ? order by id',
      [acct.accountId],
    );
    expect(Object.fromEntries(totals.map((t) => [t.id, t.skipped_counts]))).toEqual({ [sent]: {}, [running]: { contact_deleted: 1 } });
    expect(await sql('select contact_id, state from campaign_recipients where account_id = ?', [acct.accountId])).toEqual([
      { contact_id: otherId, state: 'pending' },
    ]);
    const [kept] = await sql<{ recipient_hash: Buffer }>('select recipient_hash from messages where id = ?', [untouched]);
    expect(kept!.recipient_hash.equals(hashOf(other))).toBe(true);
    // The earlier access request stays as a record that it was answered, without the number.
    const accessRow = await request(h.app).get(`/v1/data-subject-requests/${access.id}`).set(acct.auth);
    expect(accessRow.body).toMatchObject({ status: 'completed', subject: { contactId, phone: null } });
  });

  it('erasure: a message in a carrier call keeps its number until the call ends, then loses it; the counts add up over the retries', async () => {
    const acct = await signUp(h.app, 'Erase sending');
    const phone = '+14155553111';
    const [delivered, sending] = await messagesTo(acct, phone, ['delivered', 'delivered']);
    await sql(`update messages set status = 'sending' where id = ?`, [sending]);
    const res = await request(h.app).post('/v1/data-subject-requests').set(acct.auth).send({ type: 'erasure', phone });
    expect(res.status).toBe(201);
    const handle = h.temporal.workflow.getHandle(dsrWorkflowId(res.body.id));
    await waitUntil(async () => {
      const { pendingActivities } = await handle.describe().then((d) => d.raw);
      return (pendingActivities ?? []).some((a) => a.lastFailure?.applicationFailureInfo?.type === 'ErasureWaitsForSend');
    });
    const [waiting] = await sql<{ recipient_hash: Buffer | null; body: Buffer | null }>(
      'select m.recipient_hash, b.body from messages m left join message_bodies b on b.message_id = m.id where m.id = ?',
      [sending],
    );
    expect(waiting!.recipient_hash!.equals(hashOf(phone))).toBe(true);
    await sql(`update messages set status = 'delivered' where id = ?`, [sending]);
    await handle.result();
    const done = await request(h.app).get(`/v1/data-subject-requests/${res.body.id}`).set(acct.auth);
    expect(done.body).toMatchObject({ status: 'completed', outcome: { action: 'erased', messagesPurged: 2, messagesSuppressed: 0 } });
    const rows = await sql<{ id: string; recipient_hash: Buffer | null; body: Buffer | null }>(
      'select m.id, m.recipient_hash, b.body from messages m left join message_bodies b on b.message_id = m.id where m.account_id = ? order by m.id',
      [acct.accountId],
    );
    expect(rows).toEqual([delivered!, sending!].sort().map((id) => ({ id, recipient_hash: null, body: null })));
  });

  it('restriction: the number is flagged and a send to it is refused; another number still goes', async () => {
    const acct = await signUp(h.app, 'Restrict');
    const phone = '+14155553011';
    const from = await obtainSenderNumber(h, acct);
    const dsr = await requestAndWait(acct, { type: 'restriction', phone });
    expect(dsr).toMatchObject({ status: 'completed', outcome: { action: 'restricted' }, subject: { contactId: null, phone } });
    const refused = await request(h.app).post('/v1/messages').set(acct.auth).send({ to: phone, from, body: 'hi' });
    expectProblem(refused, 422, 'recipient_restricted');
    const other = await request(h.app).post('/v1/messages').set(acct.auth).send({ to: '+14155553012', from, body: 'hi' });
    expect(other.status).toBe(202);
  });

  it('objection: the number is opted out (source dsr), the account cannot remove it, and a send to it is refused', async () => {
    const acct = await signUp(h.app, 'Object');
    const phone = '+14155553021';
    const from = await obtainSenderNumber(h, acct);
    const dsr = await requestAndWait(acct, { type: 'objection', phone });
    expect(dsr).toMatchObject({ status: 'completed', outcome: { action: 'opted_out' } });
    const optOuts = await request(h.app).get('/v1/opt-outs').set(acct.auth);
    expect(optOuts.body.data).toEqual([expect.objectContaining({ phone, source: 'dsr', reason: 'data subject objection' })]);
    const removal = await request(h.app)
      .delete(`/v1/opt-outs/${optOuts.body.data[0].id}`)
      .set(acct.auth)
      .send({ reason: 'customer says fine' });
    expectProblem(removal, 409, 'opt_out_not_removable');
    expect(removal.body.detail).toBe('this opt-out records a data subject request or a staff decision: only MassiveSMS staff can lift it');
    expect((await request(h.app).get('/v1/opt-outs').set(acct.auth)).body.data).toEqual(optOuts.body.data);
    const refused = await request(h.app).post('/v1/messages').set(acct.auth).send({ to: phone, from, body: 'hi' });
    expectProblem(refused, 422, 'recipient_opted_out');
  });

  it('access: the export holds the contact, its lists, opt-out status and message metadata, never a body', async () => {
    const acct = await signUp(h.app, 'Access');
    const phone = '+14155553031';
    const contactId = await contact(acct, phone, 'Ada');
    const list = await request(h.app).post('/v1/lists').set(acct.auth).send({ name: 'VIP' });
    await request(h.app)
      .post(`/v1/lists/${list.body.id}/contacts`)
      .set(acct.auth)
      .send({ contactIds: [contactId] });
    const ids = await messagesTo(acct, phone, ['delivered', 'delivered']);
    await messagesTo(acct, '+14155553032', ['delivered']);

    const dsr = await requestAndWait(acct, { type: 'access', phone });
    expect(dsr).toMatchObject({ status: 'completed', outcome: { action: 'export_ready', exportContact: true, exportMessages: 2 } });
    const exp = await request(h.app).get(`/v1/data-subject-requests/${dsr.id}/export`).set(acct.auth);
    expect(exp.status).toBe(200);
    expect(exp.body).toMatchObject({
      requestId: dsr.id,
      subject: { phone },
      contact: { id: contactId, phone, name: 'Ada', attributes: { city: 'Lyon' } },
      lists: [{ id: list.body.id, name: 'VIP' }],
      optOut: null,
      restricted: null,
    });
    // In id order (two ids of one millisecond are not in creation order).
    expect(exp.body.messages.map((m: { id: string }) => m.id)).toEqual([...ids].sort());
    expect(exp.body.messages[0]).toMatchObject({ direction: 'outbound', status: 'delivered', sender: '+14155550999', segments: 1 });
    expect(JSON.stringify(exp.body)).not.toContain('"body"');
    // Nothing changed for the subject: the contact is still there.
    expect((await request(h.app).get(`/v1/contacts/${contactId}`).set(acct.auth)).status).toBe(200);
  });

  it('due 30 days after receipt; the list shows status and due date; only access and portability have an export', async () => {
    const acct = await signUp(h.app, 'Listing');
    const created = await request(h.app)
      .post('/v1/data-subject-requests')
      .set(acct.auth)
      .send({ type: 'rectification', phone: '+14155553041' });
    expect(created.status).toBe(201);
    expect(Date.parse(created.body.dueAt) - Date.parse(created.body.receivedAt)).toBe(30 * DAY);
    const list = await request(h.app).get('/v1/data-subject-requests').set(acct.auth);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: created.body.id, type: 'rectification', status: 'open', dueAt: created.body.dueAt, overdue: false }),
    ]);
    const noExport = await request(h.app).get(`/v1/data-subject-requests/${created.body.id}/export`).set(acct.auth);
    expectProblem(noExport, 409, 'conflict');
    const unknownContact = await request(h.app)
      .post('/v1/data-subject-requests')
      .set(acct.auth)
      .send({ type: 'access', contactId: randomUUID() });
    expectProblem(unknownContact, 422, 'validation');
    expect(unknownContact.body.errors).toEqual([{ field: 'contactId', reason: 'no such contact in this account' }]);
  });
});

describe('an account whose data key is destroyed', () => {
  it('fails the request for good (AccountDataKeyDestroyed) instead of retrying an action that can never open its data', async () => {
    const acct = await signUp(h.app, 'Shredded');
    const created = await request(h.app)
      .post('/staff/v1/data-subject-requests')
      .set(staff)
      .send({ accountId: acct.accountId, type: 'objection', requesterEmail: 'gone@example.com', phone: '+14155553061' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await h.deps.orm.em.fork().transactional((em) => h.deps.keyring.destroy(em, acct.accountId));
    const failure = await createDsrActivities(h.deps, null)
      .carryOutDsr(created.body.id)
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'AccountDataKeyDestroyed', nonRetryable: true });
    // Staff still list and read it, without the fields that can no longer be opened.
    const shown = await request(h.app).get(`/staff/v1/data-subject-requests/${created.body.id}`).set(staff);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: created.body.id, requester: null, subject: { phone: null } });
    await h.temporal.workflow.getHandle(dsrWorkflowId(created.body.id)).terminate('test done');
  });
});

describe('a request whose process has ended (as an account termination ends them)', () => {
  it('answers 409 saying so to verify, extend and complete: a retry cannot cure it, so not a 503', async () => {
    const acct = await signUp(h.app, 'Ended');
    const created = await request(h.app)
      .post('/staff/v1/data-subject-requests')
      .set(staff)
      .send({ accountId: acct.accountId, type: 'objection', requesterEmail: 'ended@example.com', phone: '+14155553071' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await h.temporal.workflow.getHandle(dsrWorkflowId(created.body.id)).terminate('account terminated');
    const base = `/staff/v1/data-subject-requests/${created.body.id}`;
    const attempts = [
      request(h.app).post(`${base}/verify-identity`).set(staff).send({}),
      request(h.app).post(`${base}/extensions`).set(staff).send({ days: 30, reason: 'complex request' }),
      request(h.app).post(`${base}/complete`).set(staff).send({ note: 'done by hand' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expectProblem(res, 409, 'conflict');
      expect(res.body.detail).toBe("the request's process has ended (TERMINATED): it can no longer be changed");
    }
  });
});

describe('requests staff log for account holders', () => {
  it('wait for identity verification before anything is done; then act; completion refused before verification', async () => {
    const acct = await signUp(h.app, 'Holder');
    const phone = '+14155553051';
    const created = await request(h.app)
      .post('/staff/v1/data-subject-requests')
      .set(staff)
      .send({ accountId: acct.accountId, type: 'objection', requesterEmail: 'holder@example.com', phone });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ origin: 'staff', status: 'awaiting_identity', requester: { email: 'holder@example.com' } });
    const early = await request(h.app)
      .post(`/staff/v1/data-subject-requests/${created.body.id}/complete`)
      .set(staff)
      .send({ note: 'done' });
    expectProblem(early, 409, 'conflict');
    expect(early.body.detail).toBe("verify the requester's identity first");
    expect((await request(h.app).get('/v1/opt-outs').set(acct.auth)).body.data).toEqual([]);

    const verified = await request(h.app).post(`/staff/v1/data-subject-requests/${created.body.id}/verify-identity`).set(staff);
    expect(verified.status).toBe(200);
    expect(verified.body.identityVerifiedAt).not.toBeNull();
    await h.temporal.workflow.getHandle(dsrWorkflowId(created.body.id)).result();
    const shown = await request(h.app).get(`/staff/v1/data-subject-requests/${created.body.id}`).set(staff);
    expect(shown.body).toMatchObject({ status: 'completed', outcome: { action: 'opted_out' } });
    expect((await request(h.app).get('/v1/opt-outs').set(acct.auth)).body.data).toHaveLength(1);
    const history = await historyText(created.body.id);
    for (const pii of [phone, phone.slice(2), 'holder@example.com']) expect(history).not.toContain(pii);
    // The customer sees the request about its recipient too, without the requester's email.
    const mine = await request(h.app).get(`/v1/data-subject-requests/${created.body.id}`).set(acct.auth);
    expect(mine.status).toBe(200);
    expect(mine.body).not.toHaveProperty('requester');
    const again = await request(h.app).post(`/staff/v1/data-subject-requests/${created.body.id}/complete`).set(staff).send({ note: 'x' });
    expectProblem(again, 409, 'conflict');
    // Found by the fuzzer: verifying a completed request (its workflow closed) was a 503 "try again".
    const reverified = await request(h.app).post(`/staff/v1/data-subject-requests/${created.body.id}/verify-identity`).set(staff);
    expectProblem(reverified, 409, 'conflict');
    expect(reverified.body.detail).toBe('the request is already completed');
  });

  it('a rectification is completed by staff with what was done; staff list every account, or one', async () => {
    const acct = await signUp(h.app, 'Rectify');
    const created = await request(h.app)
      .post('/staff/v1/data-subject-requests')
      .set(staff)
      .send({ accountId: acct.accountId, type: 'rectification', requesterEmail: 'r@example.com' });
    expect(created.status).toBe(201);
    expect(created.body.subject).toBeNull();
    await request(h.app).post(`/staff/v1/data-subject-requests/${created.body.id}/verify-identity`).set(staff).expect(200);
    const done = await request(h.app)
      .post(`/staff/v1/data-subject-requests/${created.body.id}/complete`)
      .set(staff)
      .send({ note: 'email address corrected' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', completionNote: 'email address corrected', outcome: { action: 'manual' } });
    const one = await request(h.app).get('/staff/v1/data-subject-requests').query({ accountId: acct.accountId }).set(staff);
    expect(one.body.data.map((d: { id: string }) => d.id)).toEqual([created.body.id]);
    const all = await request(h.app).get('/staff/v1/data-subject-requests').query({ limit: 200 }).set(staff);
    expect(all.body.data.map((d: { id: string }) => d.id)).toContain(created.body.id);
    const unknownAccount = await request(h.app)
      .post('/staff/v1/data-subject-requests')
      .set(staff)
      .send({ accountId: randomUUID(), type: 'access', requesterEmail: 'r@example.com' });
    expectProblem(unknownAccount, 422, 'validation');
    const actions = (await sql<{ action: string }>('select action from audit_log where target_id = ? order by seq', [created.body.id])).map(
      (r) => r.action,
    );
    expect(actions).toEqual(['dsr.received', 'dsr.identity_verified', 'dsr.completed', 'dsr.completed_by_staff']);
  });
});
