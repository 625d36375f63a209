import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../lib/errors';
import { DsrService } from '../services/dsr/dsr-service';
import { dsrStatusQuery, dsrWorkflowId, type DsrStatus } from '../workflows/lifecycle/dsr';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { createStaffUser, type TestStaffUser } from './support/staff';
import { startTimeSkipping, timeSkippingBackgroundWorker } from './support/time-skipping';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

let sim: SimulatorProcess;
let h: Harness;
let env: TestWorkflowEnvironment;
let background: { stop(): Promise<void> } | undefined;
let privacy: TestStaffUser;
let nowMs = 0;
let dsrs: DsrService;

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: sim.env() });
  env = await startTimeSkipping();
  background = await timeSkippingBackgroundWorker(env, h.deps);
  privacy = await createStaffUser(h, 'privacy');
  // The service's clock is the test server's: a request is received at the workflow's "now".
  dsrs = new DsrService({ ...h.deps, temporal: env.client }, () => new Date(nowMs));
});
afterAll(async () => {
  await background?.stop();
  await env?.teardown();
  await h?.close();
  await sim?.stop();
});

const staffActor = () => ({ staffUserId: privacy.id, role: 'privacy' as const, staffSessionId: '00000000-0000-7000-8000-000000000000' });

async function openRectification(acct: TestAccount, phone: string) {
  nowMs = await env.currentTimeMs();
  const view = await dsrs.createForCustomer(
    h.deps.orm.em.fork(),
    { accountId: acct.accountId, apiKeyId: acct.apiKeyId, scopes: ['write'] },
    {
      type: 'rectification',
      phone,
    },
  );
  return { id: view.id, receivedAtMs: Date.parse(view.receivedAt), dueAt: view.dueAt };
}

const status = (id: string) => env.client.workflow.getHandle(dsrWorkflowId(id)).query(dsrStatusQuery);
/** Waits (polling the workflow's query) until its state satisfies `ok`: activities run in real time after a skip. */
const until = (id: string, ok: (s: DsrStatus) => boolean) =>
  vi.waitFor(
    async () => {
      const s = await status(id);
      if (!ok(s)) throw new Error(`not yet: ${JSON.stringify(s)}`);
      return s;
    },
    { timeout: 20_000, interval: 50 },
  );
/** Moves the test server's clock to `receivedAtMs + offsetMs` (timers due by then fire). */
async function skipTo(receivedAtMs: number, offsetMs: number) {
  const target = receivedAtMs + offsetMs;
  const now = await env.currentTimeMs();
  expect(target).toBeGreaterThan(now);
  await env.sleep(target - now);
}
const reminderEmails = async (id: string) => (await sim.control.emails(privacy.email)).filter((e) => e.subject.includes(id));
const auditActions = async (id: string) =>
  (await h.deps.orm.em.fork().execute<{ action: string }[]>(`select action from audit_log where target_id = ? order by seq`, [id])).map(
    (r) => r.action,
  );
/** What the requester was told about this request (the holder's inbox also holds the sign-up verification link). */
const requesterEmails = async (acct: TestAccount, requestId: string) =>
  (await sim.control.emails(await holderEmail(acct))).filter((e) => (e.text ?? '').includes(requestId));
async function holderEmail(acct: TestAccount): Promise<string> {
  const [u] = await h.deps.orm.em
    .fork()
    .execute<{ email: string }[]>('select email from users where id in (select user_id from account_memberships where account_id = ?)', [
      acct.accountId,
    ]);
  return u!.email;
}

describe('data subject request deadlines (time-skipping server, real constants)', () => {
  it('due 30 days after receipt; privacy staff reminded at due−7 d and due−2 d, once each; overdue audited at the due date; an extension after it refused', async () => {
    const acct = await signUp(h.app, 'Deadlines');
    const dsr = await openRectification(acct, '+14155552001');
    expect(Date.parse(dsr.dueAt) - dsr.receivedAtMs).toBe(30 * DAY);

    await skipTo(dsr.receivedAtMs, 23 * DAY - HOUR);
    expect((await status(dsr.id)).remindersSent).toEqual([]);
    expect(await reminderEmails(dsr.id)).toHaveLength(0);

    await skipTo(dsr.receivedAtMs, 23 * DAY + HOUR);
    await until(dsr.id, (s) => s.remindersSent.length === 1);
    const seven = await reminderEmails(dsr.id);
    expect(seven.map((e) => e.subject)).toEqual([`Data subject request ${dsr.id} is due in 7 days`]);
    // To every active privacy staff user (other test files add theirs to this run's database).
    const privacyStaff = await h.deps.orm.em
      .fork()
      .execute<{ email: string }[]>(`select email from staff_users where role = 'privacy' and disabled_at is null order by email`);
    expect(seven[0]!.to).toEqual(privacyStaff.map((u) => u.email));
    expect(seven[0]!.to).toContain(privacy.email);

    await skipTo(dsr.receivedAtMs, 28 * DAY - HOUR);
    expect(await reminderEmails(dsr.id)).toHaveLength(1);
    await skipTo(dsr.receivedAtMs, 28 * DAY + HOUR);
    await until(dsr.id, (s) => s.remindersSent.length === 2);
    expect((await reminderEmails(dsr.id)).map((e) => e.subject)).toEqual([
      `Data subject request ${dsr.id} is due in 7 days`,
      `Data subject request ${dsr.id} is due in 2 days`,
    ]);
    expect((await status(dsr.id)).overdue).toBe(false);
    expect(await auditActions(dsr.id)).not.toContain('dsr.overdue');

    await skipTo(dsr.receivedAtMs, 30 * DAY - HOUR);
    expect((await status(dsr.id)).overdue).toBe(false);
    await skipTo(dsr.receivedAtMs, 30 * DAY + HOUR);
    await until(dsr.id, (s) => s.overdue);
    await vi.waitFor(async () => expect(await auditActions(dsr.id)).toContain('dsr.overdue'));
    expect((await auditActions(dsr.id)).filter((a) => a === 'dsr.overdue')).toHaveLength(1);
    const [row] = await h.deps.orm.em
      .fork()
      .execute<{ overdue_ms: string }[]>(
        'select (extract(epoch from overdue_at) * 1000)::bigint::text as overdue_ms from data_subject_requests where id = ?',
        [dsr.id],
      );
    expect(Number(row!.overdue_ms)).toBe(dsr.receivedAtMs + 30 * DAY);
    await vi.waitFor(async () =>
      expect(
        (await sim.control.emails(privacy.email)).filter((e) => e.subject === `Data subject request ${dsr.id} is overdue`),
      ).toHaveLength(1),
    );

    const late = await dsrs
      .extend(h.deps.orm.em.fork(), staffActor(), dsr.id, { days: 10, reason: 'too late now' })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(AppError);
    expect((late as AppError).kind).toBe('conflict');
    expect((late as AppError).message).toBe('the due date has passed: an extension must be recorded before it');
    const view = await dsrs.getForStaff(h.deps.orm.em.fork(), dsr.id);
    expect(view.dueAt).toBe(dsr.dueAt);
    expect(view.extensions.map((e) => e.status)).toEqual(['refused']);
    expect(await requesterEmails(acct, dsr.id)).toHaveLength(0);
    // Still waiting for a person; its reminders were sent once each.
    expect(await reminderEmails(dsr.id)).toHaveLength(3);
  });

  it('an extension before the due date moves it (at most 60 days in all), tells the requester once, and the reminders follow the new date', async () => {
    const acct = await signUp(h.app, 'Extended');
    const dsr = await openRectification(acct, '+14155552002');
    await skipTo(dsr.receivedAtMs, 10 * DAY);

    const extended = await dsrs.extend(h.deps.orm.em.fork(), staffActor(), dsr.id, {
      days: 20,
      reason: 'the subject holds several accounts',
    });
    expect(extended.dueAt).toBe(new Date(dsr.receivedAtMs + 50 * DAY).toISOString());
    expect(extended.process!.dueAtMs).toBe(dsr.receivedAtMs + 50 * DAY);
    const told = await requesterEmails(acct, dsr.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toContain('Reason: the subject holds several accounts');
    expect(told[0]!.text).toContain(new Date(dsr.receivedAtMs + 50 * DAY).toISOString());

    const tooLong = await dsrs.extend(h.deps.orm.em.fork(), staffActor(), dsr.id, { days: 41, reason: 'more' }).catch((e: unknown) => e);
    expect((tooLong as AppError).message).toBe('extensions may add at most 60 days to the due date in all');
    const rest = await dsrs.extend(h.deps.orm.em.fork(), staffActor(), dsr.id, { days: 40, reason: 'still more' });
    expect(rest.dueAt).toBe(new Date(dsr.receivedAtMs + 90 * DAY).toISOString());
    expect(rest.extensions.map((e) => [e.days, e.status])).toEqual([
      [20, 'applied'],
      [41, 'refused'],
      [40, 'applied'],
    ]);
    expect(await requesterEmails(acct, dsr.id)).toHaveLength(2);

    // The old due−7 d (day 23) passes without a reminder; the new one (day 83) brings it.
    await skipTo(dsr.receivedAtMs, 83 * DAY - HOUR);
    expect(await reminderEmails(dsr.id)).toHaveLength(0);
    expect((await status(dsr.id)).overdue).toBe(false);
    await skipTo(dsr.receivedAtMs, 83 * DAY + HOUR);
    await until(dsr.id, (s) => s.remindersSent.length === 1);
    expect((await reminderEmails(dsr.id)).map((e) => e.subject)).toEqual([`Data subject request ${dsr.id} is due in 7 days`]);
    expect(await auditActions(dsr.id)).toEqual([
      'dsr.received',
      'dsr.extension_notified',
      'dsr.extended',
      'dsr.extension_notified',
      'dsr.extended',
      'dsr.reminder_sent',
    ]);

    const done = await dsrs.complete(h.deps.orm.em.fork(), staffActor(), dsr.id, { note: 'number corrected in the contact' });
    expect(done).toMatchObject({ status: 'completed', completionNote: 'number corrected in the contact', outcome: { action: 'manual' } });
    await skipTo(dsr.receivedAtMs, 91 * DAY);
    expect(await env.client.workflow.getHandle(dsrWorkflowId(dsr.id)).result()).toMatchObject({ phase: 'completed', overdue: false });
    expect(await auditActions(dsr.id)).not.toContain('dsr.overdue');
  });

  it('a late extension sends no reminder whose moment had passed when it was recorded, only the ones still ahead', async () => {
    const acct = await signUp(h.app, 'Late extension');
    const dsr = await openRectification(acct, '+14155552003');
    await skipTo(dsr.receivedAtMs, 23 * DAY + HOUR);
    await until(dsr.id, (s) => s.remindersSent.length === 1);
    await skipTo(dsr.receivedAtMs, 27 * DAY);
    // Due at day 32 now: its "7 days before" (day 25) was already past, its "2 days before" (day 30) is not.
    const extended = await dsrs.extend(h.deps.orm.em.fork(), staffActor(), dsr.id, { days: 2, reason: 'waiting for the carrier' });
    expect(extended.dueAt).toBe(new Date(dsr.receivedAtMs + 32 * DAY).toISOString());
    await skipTo(dsr.receivedAtMs, 30 * DAY - HOUR);
    expect((await status(dsr.id)).remindersSent).toHaveLength(1);
    await skipTo(dsr.receivedAtMs, 30 * DAY + HOUR);
    await until(dsr.id, (s) => s.remindersSent.length === 2);
    expect((await reminderEmails(dsr.id)).map((e) => e.subject)).toEqual([
      `Data subject request ${dsr.id} is due in 7 days`,
      `Data subject request ${dsr.id} is due in 2 days`,
    ]);
    expect((await status(dsr.id)).overdue).toBe(false);
  });
});
