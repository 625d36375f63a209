import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DsrService } from '../../services/dsr/dsr-service';
import { dsrWorkflowId } from '../../workflows/lifecycle/dsr';
import { terminationWorkflowId } from '../../workflows/lifecycle/termination';
import { signUp, type TestAccount } from '../support/accounts';
import { saveHistory } from '../support/histories';
import { freshPhone } from '../support/messaging';
import { startNoticeStack, type NoticeStack } from '../support/notices';
import { createStaffUser, staffBearer, staffSignIn, type TestStaffUser } from '../support/staff';

/**
 * Records, on the time-skipping server at the real constants, the histories of the long processes:
 * breaches (approved in time; not approved, reminded, initial notice, follow-up, an update, closed),
 * a subprocessor and a material policy through their 30-day notice, data subject requests (extended,
 * reminded, overdue, completed by staff; an erasure after identity verification), and terminations
 * (deleted when the grace ends; reactivated by staff).
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let s: NoticeStack;
let security: { Authorization: string };
let privacy: { Authorization: string };
let privacyUser: TestStaffUser;
let holder: TestAccount;
const client = () => s.env.client;
const api = () => request(s.app);

beforeAll(async () => {
  s = await startNoticeStack();
  // The stack's background worker runs the lifecycle and DSR activities beside the notices'.
  security = staffBearer(await staffSignIn(s.app, await createStaffUser(s.h, 'security')));
  privacyUser = await createStaffUser(s.h, 'privacy');
  privacy = staffBearer(await staffSignIn(s.app, privacyUser));
  holder = await signUp(s.app, 'Recorded holder');
});
afterAll(async () => {
  await s?.close();
});

const assessment = {
  description: 'A misconfigured storage bucket exposed message metadata exports.',
  nature: 'Confidentiality breach',
  subjectCategories: ['SMS recipients'],
  recordCategories: ['message timestamps'],
  approxSubjects: 100,
  approxRecords: 400,
  likelyConsequences: 'Unwanted contact',
  measures: 'Bucket closed',
  contact: 'dpo@massivesms.example',
};

async function expectOk(res: request.Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return Promise.resolve(res.body as Record<string, unknown>);
}

it('records the breach histories', async () => {
  const declare = async () =>
    (await expectOk(
      await api()
        .post('/staff/v1/breaches')
        .set(security)
        .send({ ...assessment, awareAt: s.now().toISOString(), affectedAccounts: [holder.accountId], noticeRequired: true }),
      201,
    )) as { id: string };

  const inTime = await declare();
  await s.sleep('10 hours');
  await expectOk(await api().post(`/staff/v1/breaches/${inTime.id}/approval`).set(security).send({ assessment }), 200);
  await s.sleep('1 hour');
  await expectOk(await api().post(`/staff/v1/breaches/${inTime.id}/close`).set(security), 200);
  await client().workflow.getHandle(`breach:${inTime.id}`).result();
  await saveHistory(client(), `breach:${inTime.id}`, 'approved-at-10h-closed');

  const late = await declare();
  await s.sleep('67 hours');
  await expectOk(await api().post(`/staff/v1/breaches/${late.id}/approval`).set(security).send({ assessment }), 200);
  await s.sleep('1 hour');
  await expectOk(await api().post(`/staff/v1/breaches/${late.id}/updates`).set(security).send({ summary: 'No download.' }), 201);
  await s.sleep('1 hour');
  await expectOk(await api().post(`/staff/v1/breaches/${late.id}/close`).set(security), 200);
  await client().workflow.getHandle(`breach:${late.id}`).result();
  await saveHistory(client(), `breach:${late.id}`, 'reminded-initial-follow-up-update-closed');
});

it('records a subprocessor and a policy through their notice periods', async () => {
  const announced = (await expectOk(
    await api()
      .post('/staff/v1/subprocessors')
      .set(privacy)
      .send({
        vendor: `recorded-${Date.now()}`,
        name: 'Recorded Route',
        purpose: 'SMS delivery',
        locations: ['Canada'],
        recipientData: true,
        effectiveAt: new Date(s.now().getTime() + 30 * DAY + 60_000).toISOString(),
      }),
    201,
  )) as { id: string };
  await client().workflow.getHandle(`subprocessor:${announced.id}`).result();
  await saveHistory(client(), `subprocessor:${announced.id}`, 'announced-then-active');

  const version = `rec-${Date.now()}`;
  await expectOk(
    await api()
      .post('/staff/v1/policies')
      .set(privacy)
      .send({
        kind: 'privacy',
        version,
        text: 'We now keep delivery receipts for 13 months.',
        material: true,
        effectiveAt: new Date(s.now().getTime() + 30 * DAY + HOUR).toISOString(),
      }),
    201,
  );
  await client().workflow.getHandle(`policy:privacy:${version}`).result();
  await saveHistory(client(), `policy:privacy:${version}`, 'material-announced-in-force');
});

it('records the data subject request histories', async () => {
  let nowMs = 0;
  const dsrs = new DsrService({ ...s.h.deps, temporal: client() }, () => new Date(nowMs));
  const staffActor = { staffUserId: privacyUser.id, role: 'privacy' as const, staffSessionId: '00000000-0000-7000-8000-000000000000' };
  const customer = { accountId: holder.accountId, apiKeyId: holder.apiKeyId, scopes: ['write' as const] };

  nowMs = await s.env.currentTimeMs();
  const manual = await dsrs.createForCustomer(s.h.deps.orm.em.fork(), customer, { type: 'rectification', phone: freshPhone() });
  await s.sleep('5 days');
  await dsrs.extend(s.h.deps.orm.em.fork(), staffActor, manual.id, { days: 10, reason: 'more documents' });
  await s.sleep(41 * DAY - 5 * DAY);
  await dsrs.complete(s.h.deps.orm.em.fork(), staffActor, manual.id, { note: 'name fixed' });
  await client().workflow.getHandle(dsrWorkflowId(manual.id)).result();
  await saveHistory(client(), dsrWorkflowId(manual.id), 'extended-reminded-overdue-completed');

  const phone = freshPhone();
  await expectOk(await api().post('/v1/contacts').set(holder.auth).send({ phone, name: 'Subject' }), 201);
  nowMs = await s.env.currentTimeMs();
  const erasure = await dsrs.createByStaff(s.h.deps.orm.em.fork(), staffActor, {
    accountId: holder.accountId,
    type: 'erasure',
    requesterEmail: 'subject@example.com',
    phone,
  });
  await s.sleep('1 day');
  await dsrs.verifyIdentity(s.h.deps.orm.em.fork(), staffActor, erasure.id);
  await client().workflow.getHandle(dsrWorkflowId(erasure.id)).result();
  await saveHistory(client(), dsrWorkflowId(erasure.id), 'identity-verified-erased');
});

it('records the termination histories', async () => {
  const deleted = await signUp(s.app, 'Leaving');
  await expectOk(await api().post('/v1/contacts').set(deleted.auth).send({ phone: freshPhone(), name: 'Kept until deletion' }), 201);
  await expectOk(await api().post('/v1/account/termination').set(deleted.auth).send({ disposition: 'delete' }), 201);
  await client().workflow.getHandle(terminationWorkflowId(deleted.accountId)).result();
  await saveHistory(client(), terminationWorkflowId(deleted.accountId), 'grace-ended-deleted-certified');

  const kept = await signUp(s.app, 'Staying');
  await expectOk(
    await api().post(`/staff/v1/accounts/${kept.accountId}/terminate`).set(privacy).send({ reason: 'customer asked by phone' }),
    201,
  );
  await s.sleep('1 day');
  await expectOk(
    await api().post(`/staff/v1/accounts/${kept.accountId}/reactivate`).set(privacy).send({ reason: 'closed by mistake' }),
    200,
  );
  await client().workflow.getHandle(terminationWorkflowId(kept.accountId)).result();
  await saveHistory(client(), terminationWorkflowId(kept.accountId), 'reactivated-by-staff');
});
