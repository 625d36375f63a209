import { MockActivityEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { createNoticeActivities } from '../activities/notices';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { breachStatusQuery, breachUpdateSignal, type BreachStatus } from '../workflows/notices/breach';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { adminEmailOf, startNoticeStack, type NoticeStack } from './support/notices';
import { waitFor } from './support/outbox';
import { createStaffUser, staffBearer, staffSignIn, type TestStaffUser } from './support/staff';

const HOUR = 3_600_000;
let s: NoticeStack;
let auth: { Authorization: string };
let security: TestStaffUser;
let privacy: TestStaffUser;
let affected: TestAccount[];
let unaffected: TestAccount;
const emailOf = new Map<string, string>();

const assessment = {
  description: 'A misconfigured storage bucket exposed message metadata exports.',
  nature: 'Confidentiality breach: unauthorised access to exported files',
  subjectCategories: ['SMS recipients'],
  recordCategories: ['phone numbers', 'message timestamps'],
  approxSubjects: 1200,
  approxRecords: 5400,
  likelyConsequences: 'Unwanted contact by third parties',
  measures: 'Bucket closed, access keys rotated, access logs under review',
  contact: 'dpo@massivesms.example',
};

async function declare(awareAt: Date, extra: Record<string, unknown> = {}) {
  const res = await request(s.app)
    .post('/staff/v1/breaches')
    .set(auth)
    .send({
      ...assessment,
      awareAt: awareAt.toISOString(),
      affectedAccounts: affected.map((a) => a.accountId),
      noticeRequired: true,
      ...extra,
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; processId: string };
}

const status = (id: string) => s.env.client.workflow.getHandle(`breach:${id}`).query(breachStatusQuery);
const waitStatus = (id: string, check: (st: BreachStatus) => boolean) => waitFor(() => status(id), check, 30_000, 100);

/** Emails of one breach at the simulator, by recipient and idempotency key. */
async function breachEmails(id: string, to: string) {
  return (await s.sim.control.emails(to)).filter((e) => e.idempotencyKey?.startsWith(`breach:${id}:`)).map((e) => e.idempotencyKey);
}

beforeAll(async () => {
  s = await startNoticeStack();
  security = await createStaffUser(s.h, 'security');
  privacy = await createStaffUser(s.h, 'privacy');
  auth = staffBearer(await staffSignIn(s.app, security));
  affected = [await signUp(s.app, 'Affected A'), await signUp(s.app, 'Affected B')];
  unaffected = await signUp(s.app, 'Unaffected C');
  for (const a of [...affected, unaffected]) emailOf.set(a.accountId, await adminEmailOf(s.h, a.accountId));
});
afterAll(() => s?.close());

describe('breach notification (breach:<id>) at the real 72-hour constants', () => {
  it('approved at 10 h: the full notice goes to each affected controller at 10 h, once, and nothing later', async () => {
    const awareAt = s.now();
    const breach = await declare(awareAt);
    expect(breach.processId).toBe(`breach:${breach.id}`);
    await s.sleep('10 hours');
    const approved = await request(s.app).post(`/staff/v1/breaches/${breach.id}/approval`).set(auth).send({ assessment });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const st = await waitStatus(breach.id, (x) => x.phases.length > 0);
    expect(st.phases.map((p) => [p.phase, p.accounts])).toEqual([['full', 2]]);
    const at = Date.parse(st.phases[0]!.at) - awareAt.getTime();
    expect(at).toBeGreaterThanOrEqual(10 * HOUR);
    expect(at).toBeLessThan(10 * HOUR + 60_000);

    await s.sleep('70 hours');
    expect((await status(breach.id)).phases.map((p) => p.phase)).toEqual(['full']);
    for (const a of affected)
      expect(await breachEmails(breach.id, emailOf.get(a.accountId)!)).toEqual([`breach:${breach.id}:full:${a.accountId}`]);
    expect(await breachEmails(breach.id, emailOf.get(unaffected.accountId)!)).toEqual([]);
    // Approved before the first reminder: staff were never reminded.
    expect(await breachEmails(breach.id, security.email)).toEqual([]);

    const inProduct = await request(s.app).get('/v1/notices').set(affected[0]!.auth);
    expect(inProduct.status).toBe(200);
    const notice = inProduct.body.data.find((n: { processId: string }) => n.processId === breach.processId);
    expect(notice).toMatchObject({ phase: 'full', contentVersion: 'v2' });
    for (const part of [
      assessment.nature,
      'about 1200',
      'about 5400',
      assessment.likelyConsequences,
      assessment.measures,
      assessment.contact,
    ]) {
      expect(notice.body).toContain(part);
    }
    const other = await request(s.app).get('/v1/notices').set(unaffected.auth);
    expect(other.body.data.some((n: { processId: string }) => n.processId === breach.processId)).toBe(false);
  });

  it('a phase retried (even after a crash between the send and its record) sends nothing twice', async () => {
    const breach = await declare(s.now());
    await s.sleep('1 hour');
    await request(s.app).post(`/staff/v1/breaches/${breach.id}/approval`).set(auth).send({ assessment });
    const st = await waitStatus(breach.id, (x) => x.phases.length > 0);
    const [victim, other] = affected;
    // The record of one account's delivery is lost, as if the worker died after the provider took the email.
    await s.h.deps.orm.em
      .fork()
      .execute(`delete from notice_deliveries where process_id = ? and recipient_id = ?`, [breach.processId, victim!.accountId]);
    const acts = createNoticeActivities(s.h.deps);
    const input = { breachId: breach.id, phase: 'full' as const, atMs: Date.parse(st.phases[0]!.at), approvedVersion: 2 };
    for (let retry = 0; retry < 2; retry++)
      expect(await new MockActivityEnvironment().run((i: typeof input) => acts.sendBreachNotices(i), input)).toEqual({ accounts: 2 });
    for (const a of [victim!, other!])
      expect(await breachEmails(breach.id, emailOf.get(a.accountId)!)).toEqual([`breach:${breach.id}:full:${a.accountId}`]);
    const rows = await s.h.deps.orm.em
      .fork()
      .execute<{ recipient_id: string; sent_at: string }[]>(
        `select recipient_id, sent_at from notice_deliveries where process_id = ? and phase = 'full' order by recipient_id`,
        [breach.processId],
      );
    expect(rows.map((r) => [r.recipient_id, new Date(r.sent_at).toISOString()])).toEqual(
      [victim!.accountId, other!.accountId].sort().map((id) => [id, st.phases[0]!.at]),
    );
  });

  it('not approved: staff reminded at 24, 48 and 60 h, the initial notice at 66 h, the follow-up on approval, then updates', async () => {
    const awareAt = s.now();
    const breach = await declare(awareAt);
    const reminders = async () =>
      [...(await breachEmails(breach.id, security.email)), ...(await breachEmails(breach.id, privacy.email))].sort();
    const remindersAt = async (n: number) => waitFor(reminders, (r) => r.length === 2 * n, 30_000, 100);

    await s.sleep('23 hours');
    expect(await reminders()).toEqual([]);
    await s.sleep('2 hours');
    expect(await remindersAt(1)).toEqual(
      [`breach:${breach.id}:reminder-24h:${privacy.id}`, `breach:${breach.id}:reminder-24h:${security.id}`].sort(),
    );
    await s.sleep('24 hours');
    expect((await remindersAt(2)).filter((k) => k!.includes('reminder-48h'))).toHaveLength(2);
    await s.sleep('12 hours'); // 61 h
    expect((await remindersAt(3)).filter((k) => k!.includes('reminder-60h'))).toHaveLength(2);
    await s.sleep('4 hours'); // 65 h: not yet
    expect((await status(breach.id)).phases).toEqual([]);
    await s.sleep('2 hours'); // 67 h
    const st = await waitStatus(breach.id, (x) => x.phases.length > 0);
    expect(st.phases.map((p) => [p.phase, p.accounts])).toEqual([['initial', 2]]);
    const at = Date.parse(st.phases[0]!.at) - awareAt.getTime();
    expect(at).toBeGreaterThanOrEqual(66 * HOUR);
    expect(at).toBeLessThanOrEqual(72 * HOUR);
    expect(await reminders()).toHaveLength(6);

    await s.sleep('30 hours');
    const approved = await request(s.app)
      .post(`/staff/v1/breaches/${breach.id}/approval`)
      .set(auth)
      .send({ assessment: { ...assessment, approxSubjects: 1300 } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.contentVersion).toBe(2);
    await waitStatus(breach.id, (x) => x.phases.length === 2);
    const update = await request(s.app)
      .post(`/staff/v1/breaches/${breach.id}/updates`)
      .set(auth)
      .send({ summary: 'Logs show no download.' });
    expect(update.status).toBe(201);
    expect((await waitStatus(breach.id, (x) => x.phases.length === 3)).phases.map((p) => p.phase)).toEqual([
      'initial',
      'follow-up',
      'update-1',
    ]);

    for (const a of affected) {
      expect(await breachEmails(breach.id, emailOf.get(a.accountId)!)).toEqual(
        ['initial', 'follow-up', 'update-1'].map((p) => `breach:${breach.id}:${p}:${a.accountId}`),
      );
    }
    expect(await breachEmails(breach.id, emailOf.get(unaffected.accountId)!)).toEqual([]);
    const [first] = await s.sim.control
      .emails(emailOf.get(affected[0]!.accountId))
      .then((e) => e.filter((x) => x.idempotencyKey === `breach:${breach.id}:initial:${affected[0]!.accountId}`));
    expect(first!.text).toContain('further information will follow');

    const register = await request(s.app).get(`/staff/v1/breaches/${breach.id}`).set(auth);
    expect(register.status).toBe(200);
    const notices = register.body.timeline.notices as { phase: string; accountId: string; contentVersion: string }[];
    expect(notices.map((n) => `${n.phase}/${n.contentVersion}`).sort()).toEqual(
      ['initial/v1', 'initial/v1', 'follow-up/v2', 'follow-up/v2', 'update-1/v2+u1', 'update-1/v2+u1'].sort(),
    );
  });

  it('a decision rolled back at its commit is never applied; stored, it is applied once however often the process is told', async () => {
    const awareAt = s.now();
    const breach = await declare(awareAt);
    await s.sleep('10 hours');
    // The approval's transaction fails at COMMIT (a deferred trigger the owner adds for this breach only).
    const owner = new PgClient({ connectionString: inject('ownerDatabaseUrl') });
    await owner.connect();
    const fn = `test_refuse_commit_${breach.id.replaceAll('-', '')}`;
    try {
      await owner.query(`create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'commit refused'; end $$`);
      await owner.query(
        `create constraint trigger ${fn} after update on breaches deferrable initially deferred
           for each row when (new.id = '${breach.id}'::uuid) execute function ${fn}()`,
      );
      const refused = await request(s.app).post(`/staff/v1/breaches/${breach.id}/approval`).set(auth).send({ assessment });
      expect(refused.status).toBe(500);
    } finally {
      await owner.query(`drop trigger if exists ${fn} on breaches`);
      await owner.query(`drop function if exists ${fn}()`);
      await owner.end();
    }
    expect((await request(s.app).get(`/staff/v1/breaches/${breach.id}`).set(auth)).body).toMatchObject({
      status: 'assessing',
      contentVersion: 1,
    });
    expect(await status(breach.id)).toMatchObject({ approved: false, phases: [] });
    // Never told: at 66 h the process sends the initial notice, not the full one.
    await s.sleep('57 hours');
    const initial = await waitStatus(breach.id, (x) => x.phases.length > 0);
    expect(initial.phases.map((p) => p.phase)).toEqual(['initial']);

    const approved = await request(s.app).post(`/staff/v1/breaches/${breach.id}/approval`).set(auth).send({ assessment });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await waitStatus(breach.id, (x) => x.phases.length === 2);
    expect((await request(s.app).post(`/staff/v1/breaches/${breach.id}/updates`).set(auth).send({ summary: 'Contained.' })).status).toBe(
      201,
    );
    await waitStatus(breach.id, (x) => x.phases.length === 3);
    // A signal retried by hand, then the close (which tells every stored decision again, update 1 included).
    const handle = s.env.client.workflow.getHandle(`breach:${breach.id}`);
    await handle.signal(breachUpdateSignal, { seq: 1 });
    expect((await request(s.app).post(`/staff/v1/breaches/${breach.id}/close`).set(auth).send()).status).toBe(200);
    // Not result(): awaiting it would skip the server's virtual time far ahead for the tests after this one.
    const done = await waitStatus(breach.id, (x) => x.state === 'closed');
    expect(done.phases.map((p) => p.phase)).toEqual(['initial', 'follow-up', 'update-1']);
    for (const a of affected) {
      expect(await breachEmails(breach.id, emailOf.get(a.accountId)!)).toEqual(
        ['initial', 'follow-up', 'update-1'].map((p) => `breach:${breach.id}:${p}:${a.accountId}`),
      );
    }
  });

  it('declared 70 h after awareness: the initial notice goes out at once and the risk to the deadline is audited', async () => {
    const now = s.now().getTime();
    const breach = await declare(new Date(now - 70 * HOUR));
    const st = await waitStatus(breach.id, (x) => x.phases.length > 0);
    expect(st.deadlineAtRisk).toBe(true);
    expect(st.remindersSent).toEqual([]);
    expect(st.phases.map((p) => p.phase)).toEqual(['initial']);
    expect(Date.parse(st.phases[0]!.at) - now).toBeLessThan(60_000);
    for (const a of affected)
      expect(await breachEmails(breach.id, emailOf.get(a.accountId)!)).toEqual([`breach:${breach.id}:initial:${a.accountId}`]);
    const audit = await s.h.deps.orm.em
      .fork()
      .execute<{ action: string; details: { hoursSinceAwareness: number } }[]>(
        `select action, details from audit_log where target_id = ? order by seq`,
        [breach.processId],
      );
    expect(audit.map((r) => r.action)).toEqual(['breach.declared', 'breach.deadline_at_risk', 'notice.sent', 'notice.sent']);
    expect(audit[1]!.details.hoursSinceAwareness).toBe(70);
  });

  it('a "no notice" decision needs its reason and stays in the register; awareness in the future is refused', async () => {
    const now = s.now();
    expectProblem(
      await request(s.app)
        .post('/staff/v1/breaches')
        .set(auth)
        .send({ ...assessment, awareAt: now.toISOString(), affectedAccounts: 'all', noticeRequired: false }),
      422,
      'validation',
    );
    expectProblem(
      await request(s.app)
        .post('/staff/v1/breaches')
        .set(auth)
        .send({ ...assessment, awareAt: new Date(now.getTime() + HOUR).toISOString(), affectedAccounts: 'all', noticeRequired: true }),
      422,
      'validation',
    );
    const res = await request(s.app)
      .post('/staff/v1/breaches')
      .set(auth)
      .send({
        ...assessment,
        awareAt: now.toISOString(),
        affectedAccounts: 'all',
        noticeRequired: false,
        noNoticeReason: 'Encrypted data, key not exposed',
      });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'no_notice', noNoticeReason: 'Encrypted data, key not exposed', affectedAccounts: 'all' });
    expect((await waitStatus(res.body.id, (x) => x.state === 'no_notice')).phases).toEqual([]);
    const register = await request(s.app).get('/staff/v1/breaches').query({ limit: 200 }).set(auth);
    expect(register.body.data.find((b: { id: string }) => b.id === res.body.id)).toMatchObject({
      status: 'no_notice',
      timeline: { notices: [] },
    });
    const approve = await request(s.app).post(`/staff/v1/breaches/${res.body.id}/approval`).set(auth).send({ assessment });
    expectProblem(approve, 409, 'conflict');
  });
});
