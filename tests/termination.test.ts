import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTerminationActivities, type TerminationActivities } from '../activities/termination';
import { createApp } from '../api/app';
import { phoneHash } from '../lib/crypto/phone-hash';
import { createEmailSender } from '../providers/email/registry';
import { openPii } from '../services/contacts/contact-pii';
import { DataKeyDestroyedError, DataKeyring } from '../services/keyring';
import { verifyDeletionCertificate, type DeletionCertificate } from '../services/termination/deletion-certificate';
import { DELETION_STEPS } from '../services/termination/deletion-steps';
import { TerminationKey } from '../services/termination/termination-key';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { terminationWorkflowId, type TerminationProgress } from '../workflows/lifecycle/termination';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { createStaffUser, staffBearer, staffSignIn, type TestStaffUser } from './support/staff';
import {
  emailsTo,
  expectStatus,
  HOLDER_PASSWORD,
  linkTokens,
  personalRows,
  scanDatabase,
  seedAccount,
  waitFor,
  type SeededAccount,
} from './support/termination';
import { startTimeSkipping, timeSkippingBackgroundWorker } from './support/time-skipping';

/** Public token routes are limited per client address in the database every test file shares: each call its own. */
const fromFreshAddress = () => ({ 'X-Forwarded-For': freshAddress() });
let sim: SimulatorProcess;
let h: Harness;
let env: TestWorkflowEnvironment;
let app: Express;
let background: { stop(): Promise<void> } | undefined;
let privacy: TestStaffUser;
/** One sign-in for the file: a TOTP code is accepted once, so each sign-in would need a step of its own. */
let staff: { Authorization: string };
let terminationKey: TerminationKey;
/** Steps made to fail on purpose (the alert test); empty otherwise. */
const failingSteps = new Set<string>();
/** Steps made slow on purpose: each takes this long (virtual ms; its attempts fail until then, retried by the server's timers). */
const slowSteps = new Map<string, number>();

const TERMINATED_EMAIL = /terminated: export your data/;
const CERTIFICATE_EMAIL = /deletion certificate/;
const STUCK_EMAIL = /^Account deletion not done/;

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const pool = () => h.deps.pgPool;

async function terminationRow(accountId: string) {
  const { rows } = await pool().query<{
    status: string;
    terminated_at: Date;
    deleted_at: Date | null;
    certificate: DeletionCertificate | null;
  }>('select status, terminated_at, deleted_at, certificate from account_terminations where account_id = $1', [accountId]);
  return rows[0];
}

/** The export link and confirmation token, once the termination email has arrived. */
async function terminationEmail(acct: SeededAccount) {
  const [email] = await waitFor('the termination email', async () => {
    const found = await emailsTo(sim.control, acct.email, TERMINATED_EMAIL);
    return found.length > 0 ? found : undefined;
  });
  return linkTokens(email!.text!);
}

async function terminate(acct: SeededAccount, body: Record<string, unknown> = { disposition: 'delete' }) {
  return expectStatus(await request(app).post('/v1/account/termination').set(acct.auth).send(body), 201).body;
}

const waitUntilDeleted = (accountId: string) =>
  waitFor('the deletion', async () => ((await terminationRow(accountId))?.status === 'deleted' ? true : undefined), 60_000);

beforeAll(async () => {
  // The alert case fails a step ~600 times on purpose: the SDK's WARN line per failed attempt would bury the output.
  installTemporalRuntime('silent', { shutdownSignals: [], logger: new DefaultLogger('ERROR') });
  sim = await startSimulatorProcess();
  h = await startHarness({ env: sim.env() });
  env = await startTimeSkipping();
  app = createApp({ ...h.deps, temporal: env.client });
  terminationKey = new TerminationKey(h.deps.pgPool, h.deps.keys.master);
  const real = createTerminationActivities({
    deps: h.deps,
    temporal: env.client,
    email: createEmailSender(h.config),
    terminationKey,
    batchRows: 2,
  });
  const activities: TerminationActivities = {
    ...real,
    async runDeletionStep(input) {
      if (failingSteps.has(input.step)) throw new Error(`step ${input.step} fails (test)`);
      const { scheduledTimestampMs, currentAttemptScheduledTimestampMs } = Context.current().info;
      if (currentAttemptScheduledTimestampMs - scheduledTimestampMs < (slowSteps.get(input.step) ?? 0)) {
        throw new Error(`step ${input.step} is still running (test)`);
      }
      return real.runDeletionStep(input);
    },
  };
  background = await timeSkippingBackgroundWorker(env, h.deps, activities);
  privacy = await createStaffUser(h, 'privacy');
  staff = staffBearer(await staffSignIn(app, privacy));
}, 180_000);
afterAll(async () => {
  await background?.stop();
  await env?.teardown();
  await h?.close();
  await sim?.stop();
});

describe('account termination at the real 30 days', () => {
  it('revokes at once, keeps everything through 28 d 23 h (export works), deletes all when the grace ends at 29 d, certificate emailed once', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    const hashes = acct.phones.map((p) => phoneHash(h.deps.keys.phoneHashKey, p));
    const before = await personalRows(pool(), acct.accountId);
    const [{ pii: sealedPii, id: sealedContactId }] = (
      await pool().query<{ id: string; pii: Buffer }>('select id, pii from contacts where account_id = $1 limit 1', [acct.accountId])
    ).rows as [{ id: string; pii: Buffer }];

    const started = await terminate(acct, { disposition: 'return_then_delete' });
    expect(started).toMatchObject({ accountId: acct.accountId, status: 'pending', disposition: 'return_then_delete', deletedAt: null });
    expect(Date.parse(started.deleteBy) - Date.parse(started.terminatedAt)).toBe(30 * 24 * 3600 * 1000);

    // At once: keys revoked (the key itself now fails), the holder's sessions gone, the queued message cancelled.
    expectProblem(await request(app).get('/v1/account').set(acct.auth), 401, 'unauthorized');
    const account = await pool().query('select status from accounts where id = $1', [acct.accountId]);
    expect(account.rows[0].status).toBe('terminated');
    const keys = await pool().query('select count(*)::int as n from api_keys where account_id = $1 and revoked_at is null', [
      acct.accountId,
    ]);
    expect(keys.rows[0].n).toBe(0);
    expect(before.sessions).toBe(2); // a password sign-in opens the cookie session and the key-management token
    expect((await personalRows(pool(), acct.accountId)).sessions).toBe(0);
    // Nor can the holder sign in to make new keys.
    const signIn = await request(app)
      .post('/v1/sessions')
      .send({ email: acct.email, password: HOLDER_PASSWORD, accountId: acct.accountId });
    expectProblem(signIn, 403, 'forbidden');
    const queued = await pool().query('select status, error_code from messages where id = $1', [acct.queuedMessageId]);
    expect(queued.rows[0]).toEqual({ status: 'failed', error_code: 'account_terminated' });

    // A second termination (staff) answers the existing process.
    const again = await request(app)
      .post(`/staff/v1/accounts/${acct.accountId}/terminate`)
      .set(staff)
      .send({ reason: 'duplicate request' });
    expectStatus(again, 200);
    expect(again.body.terminatedAt).toBe(started.terminatedAt);

    const { exportToken } = await terminationEmail(acct);
    await env.sleep(28 * DAY + 23 * HOUR);

    const atGraceEnd = await personalRows(pool(), acct.accountId);
    expect({ ...atGraceEnd, sessions: before.sessions }).toEqual(before);
    expect((await terminationRow(acct.accountId))!.status).toBe('pending');
    const exported = await request(app)
      .get(`/v1/account/export/${exportToken}`)
      .set(fromFreshAddress())
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done(null, text));
      });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const records = (exported.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; phone?: string; to?: string; optIn?: unknown });
    const contacts = records.filter((r) => r.type === 'contact');
    expect(contacts.map((c) => c.phone).sort()).toEqual(acct.phones.slice(0, 3).sort());
    expect(contacts[0]!.optIn).toMatchObject({ source: 'web form' });
    expect(records.filter((r) => r.type === 'list_membership')).toHaveLength(3);
    expect(records.filter((r) => r.type === 'opt_out').map((r) => r.phone)).toEqual([acct.phones[3]]);
    expect(records.filter((r) => r.type === 'message').map((r) => r.to)).toContain(acct.phones[0]);
    expect(records.filter((r) => r.type === 'list')).toHaveLength(1);
    expect(await emailsTo(sim.control, acct.email, CERTIFICATE_EMAIL)).toEqual([]);

    await env.sleep('1 hour');
    const handle = env.client.workflow.getHandle(terminationWorkflowId(acct.accountId));
    const result: TerminationProgress = await handle.result();
    expect(result).toMatchObject({ phase: 'deleted', trigger: 'grace_ended', stepsDone: DELETION_STEPS.length, staffAlerted: false });
    // result() skips time to the end, so the instants say when: deletion began at 29 days and took minutes.
    const { startTime, closeTime } = await handle.describe();
    expect(closeTime!.getTime() - startTime.getTime()).toBeGreaterThanOrEqual(29 * DAY);
    expect(closeTime!.getTime() - startTime.getTime()).toBeLessThan(29 * DAY + HOUR);

    const after = await personalRows(pool(), acct.accountId);
    expect(sum(after)).toBe(0);
    expect(await scanDatabase(pool(), acct.accountId, hashes)).toEqual([]);
    expect(before).toMatchObject({
      data_subject_requests: 1,
      data_subject_request_extensions: 1,
      customer_notices: 1,
      subprocessor_objections: 1,
      notice_deliveries: 1,
    });
    // Kept as records without their subject: the request (type, dates) and the notice delivery (when).
    const dsr = await pool().query(
      'select type, subject_pii, requester_pii, subject_phone_hash from data_subject_requests where account_id = $1',
      [acct.accountId],
    );
    expect(dsr.rows).toEqual([{ type: 'rectification', subject_pii: null, requester_pii: null, subject_phone_hash: null }]);
    const delivery = await pool().query(`select email from notice_deliveries where recipient_id = $1`, [acct.accountId]);
    expect(delivery.rows).toEqual([{ email: '' }]);
    // Kept: the opt-out as its hash, the messages' metadata, the audit trail.
    const optOut = await pool().query('select phone_hash, phone_pii from opt_outs where account_id = $1', [acct.accountId]);
    expect(optOut.rows).toEqual([{ phone_hash: hashes[3], phone_pii: null }]);
    const messages = await pool().query(
      'select m.status, m.segments, m.recipient_hash, b.body from messages m left join message_bodies b on b.message_id = m.id where m.account_id = $1',
      [acct.accountId],
    );
    expect(messages.rows).toEqual([{ status: 'failed', segments: 1, recipient_hash: null, body: null }]);

    // Crypto-shredding: no process can open the old ciphertexts, whatever it had cached.
    await expect(h.deps.keyring.keyFor(h.deps.orm.em.fork(), acct.accountId)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    const fresh = new DataKeyring(h.deps.keys.master, { ttlMs: 60_000, maxEntries: 10 });
    await expect(fresh.keyFor(h.deps.orm.em.fork(), acct.accountId)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    const wrapped = await pool().query('select wrapped_key from account_data_keys where account_id = $1', [acct.accountId]);
    expect(wrapped.rows).toEqual([{ wrapped_key: null }]);
    expect(sealedPii.length).toBeGreaterThan(0);
    expect(() => openPii({ accountId: acct.accountId, version: 1, key: Buffer.alloc(32) }, sealedContactId, sealedPii)).toThrow();

    // The certificate: stored, signed, emailed exactly once, audited.
    const row = (await terminationRow(acct.accountId))!;
    expect(row.status).toBe('deleted');
    const certificate = row.certificate!;
    expect(verifyDeletionCertificate(await terminationKey.get(), certificate)).toBe(true);
    expect(verifyDeletionCertificate(await terminationKey.get(), { ...certificate, deletedAt: new Date(0).toISOString() })).toBe(false);
    expect(certificate.tables.contacts).toEqual({ before: 3, after: 0 });
    expect(certificate.tables.list_memberships).toEqual({ before: 3, after: 0 });
    expect(Object.values(certificate.tables).every((t) => t.after === 0)).toBe(true);
    expect(certificate.trigger).toBe('grace_ended');
    expect(certificate.promise).toMatchObject({ rule: 'finishedAt <= terminatedAt + 30 days', kept: true });
    expect(certificate.endedWorkflows).toEqual([]);
    const certificates = await emailsTo(sim.control, acct.email, CERTIFICATE_EMAIL);
    expect(certificates).toHaveLength(1);
    expect(certificates[0]!.idempotencyKey).toBe(`termination:${acct.accountId}:deleted`);
    expect(certificates[0]!.text).toContain(certificate.mac);
    const notify = await pool().query('select notify_email from account_terminations where account_id = $1', [acct.accountId]);
    expect(notify.rows[0].notify_email).toBeNull();
    const audit = await pool().query<{ action: string }>('select action from audit_log where account_id = $1 order by seq', [
      acct.accountId,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'account.terminated',
        'account.termination_email_sent',
        'account.deletion_started',
        'account.data_key_destroyed',
        'account.deleted',
        'account.deletion_certificate_sent',
      ]),
    );
    // The export link died with the data.
    expectProblem(await request(app).get(`/v1/account/export/${exportToken}`).set(fromFreshAddress()), 404, 'not_found');
  });

  it('the controller confirms with the emailed token: deletion runs at once, not at the deadline', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    await terminate(acct);
    const { confirmToken } = await terminationEmail(acct);
    expectProblem(
      await request(app)
        .post('/v1/account/termination/confirm')
        .set(fromFreshAddress())
        .send({ token: `${confirmToken.slice(0, -2)}AA` }),
      404,
      'not_found',
    );
    const confirmed = expectStatus(
      await request(app).post('/v1/account/termination/confirm').set(fromFreshAddress()).send({ token: confirmToken }),
      200,
    );
    expect(confirmed.body.accountId).toBe(acct.accountId);
    // No time skipped: only a deletion that began at once is done.
    await waitUntilDeleted(acct.accountId);
    const row = (await terminationRow(acct.accountId))!;
    expect(row.certificate!.trigger).toBe('confirmed');
    expect(row.deleted_at!.getTime() - row.terminated_at.getTime()).toBeLessThan(60_000);
    expect(sum(await personalRows(pool(), acct.accountId))).toBe(0);
    await env.client.workflow.getHandle(terminationWorkflowId(acct.accountId)).result();
    expect(await emailsTo(sim.control, acct.email, CERTIFICATE_EMAIL)).toHaveLength(1);
  });

  it('deleteEarly at termination deletes at once', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    await terminate(acct, { disposition: 'delete', deleteEarly: true });
    await waitUntilDeleted(acct.accountId);
    expect(sum(await personalRows(pool(), acct.accountId))).toBe(0);
  });

  it('staff reactivate before deletion: the account is active with its data, keys stay revoked, nothing is deleted at 30 days', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    const before = await personalRows(pool(), acct.accountId);
    expectStatus(
      await request(app).post(`/staff/v1/accounts/${acct.accountId}/terminate`).set(staff).send({ reason: 'customer asked by phone' }),
      201,
    );
    await terminationEmail(acct);
    const reactivated = expectStatus(
      await request(app).post(`/staff/v1/accounts/${acct.accountId}/reactivate`).set(staff).send({ reason: 'closed by mistake' }),
      200,
    );
    expect(reactivated.body).toMatchObject({ status: 'reactivated', reactivatedAt: expect.any(String) });
    const result: TerminationProgress = await env.client.workflow.getHandle(terminationWorkflowId(acct.accountId)).result();
    expect(result.phase).toBe('reactivated');
    await env.sleep('31 days');
    expect((await pool().query('select status from accounts where id = $1', [acct.accountId])).rows[0].status).toBe('active');
    expect({ ...(await personalRows(pool(), acct.accountId)), sessions: before.sessions }).toEqual(before);
    expectProblem(await request(app).get('/v1/account').set(acct.auth), 401, 'unauthorized');
    // The holder signs in again and makes a new key.
    const session = expectStatus(
      await request(app).post('/v1/sessions').send({ email: acct.email, password: HOLDER_PASSWORD, accountId: acct.accountId }),
      201,
    );
    const newKey = expectStatus(
      await request(app)
        .post('/v1/api-keys')
        .set({ Authorization: `Bearer ${session.body.token as string}` })
        .send({ name: 'after reactivation', scopes: ['read'] }),
      201,
    );
    expectStatus(
      await request(app)
        .get('/v1/account')
        .set({ Authorization: `Bearer ${newKey.body.key as string}` }),
      200,
    );
    const audit = await pool().query<{ actor_type: string; actor_id: string; details: { reason: string } }>(
      `select actor_type, actor_id, details from audit_log where account_id = $1 and action = 'account.reactivated'`,
      [acct.accountId],
    );
    expect(audit.rows).toEqual([
      expect.objectContaining({
        actor_type: 'staff',
        actor_id: privacy.id,
        details: expect.objectContaining({ reason: 'closed by mistake' }),
      }),
    ]);
    // Reactivated means no termination process: reactivating again is a no-op answer, confirming is refused.
    expectProblem(await request(app).post(`/staff/v1/accounts/${acct.accountId}/confirm-deletion`).set(staff), 409, 'conflict');
  });

  it('staff cannot reactivate once deletion has begun', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    await terminate(acct, { disposition: 'delete', deleteEarly: true });
    await waitUntilDeleted(acct.accountId);
    const res = await request(app).post(`/staff/v1/accounts/${acct.accountId}/reactivate`).set(staff).send({ reason: 'too late' });
    expectProblem(res, 409, 'conflict');
    const status = expectStatus(await request(app).get(`/staff/v1/accounts/${acct.accountId}/termination`).set(staff), 200);
    expect(status.body).toMatchObject({
      status: 'deleted',
      deletion: { stepsTotal: DELETION_STEPS.length, stepsDone: DELETION_STEPS.length },
    });
  });

  it('a step that keeps failing alerts privacy staff at +29.5 days (not before), and deletion still completes before +30 days', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    failingSteps.add('contacts');
    try {
      await terminate(acct, { disposition: 'delete', deleteEarly: true });
      await terminationEmail(acct);
      await env.sleep(29 * DAY + 11 * HOUR);
      expect(await emailsTo(sim.control, privacy.email, STUCK_EMAIL)).toEqual([]);
      await env.sleep('2 hours');
      const alerts = await waitFor('the staff alert', async () => {
        const found = (await emailsTo(sim.control, privacy.email, STUCK_EMAIL)).filter((e) => e.subject.includes(acct.accountId));
        return found.length > 0 ? found : undefined;
      });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.text).toContain('retrying "contacts"');
      expect((await personalRows(pool(), acct.accountId)).contacts).toBe(3);
    } finally {
      failingSteps.delete('contacts');
    }
    const handle = env.client.workflow.getHandle(terminationWorkflowId(acct.accountId));
    const result: TerminationProgress = await handle.result();
    expect(result).toMatchObject({ phase: 'deleted', staffAlerted: true });
    // In the workflow's (skipped) time: done after the alert, before the 30-day deadline.
    const { startTime, closeTime } = await handle.describe();
    expect(closeTime!.getTime() - startTime.getTime()).toBeGreaterThan(29.5 * DAY);
    expect(closeTime!.getTime() - startTime.getTime()).toBeLessThan(30 * DAY);
    const row = (await terminationRow(acct.accountId))!;
    expect(row.status).toBe('deleted');
    expect(row.certificate!.promise!.kept).toBe(true);
    expect(sum(await personalRows(pool(), acct.accountId))).toBe(0);
  });
  it('a slow deletion (one step takes 6 hours) begun when the grace ends still finishes before day 30: the instants show it', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    const handle = env.client.workflow.getHandle(terminationWorkflowId(acct.accountId));
    slowSteps.set('contacts', 6 * HOUR);
    try {
      await terminate(acct);
      await terminationEmail(acct);
      const result: TerminationProgress = await handle.result();
      expect(result).toMatchObject({ phase: 'deleted', trigger: 'grace_ended', staffAlerted: false });
    } finally {
      slowSteps.delete('contacts');
    }
    // result() skipped time to the end: only the recorded instants say whether the deadline held.
    const certificate = (await terminationRow(acct.accountId))!.certificate!;
    expect(verifyDeletionCertificate(await terminationKey.get(), certificate)).toBe(true);
    const terminatedAt = Date.parse(certificate.promise!.terminatedAt);
    const finishedAt = Date.parse(certificate.promise!.finishedAt);
    expect(finishedAt - terminatedAt).toBeGreaterThanOrEqual(29 * DAY + 6 * HOUR);
    expect(finishedAt - terminatedAt).toBeLessThan(30 * DAY);
    expect(certificate.promise).toEqual({
      rule: 'finishedAt <= terminatedAt + 30 days',
      terminatedAt: certificate.promise!.terminatedAt,
      finishedAt: certificate.promise!.finishedAt,
      kept: true,
    });
    const { startTime, closeTime } = await handle.describe();
    expect(Math.abs(startTime.getTime() - terminatedAt)).toBeLessThan(60_000);
    expect(closeTime!.getTime() - terminatedAt).toBeLessThan(30 * DAY);
    expect(
      await emailsTo(sim.control, privacy.email, STUCK_EMAIL).then((e) => e.filter((m) => m.subject.includes(acct.accountId))),
    ).toEqual([]);
  });

  it('links from a termination undone by reactivation are refused once the account is terminated again (#21)', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    await terminate(acct);
    const first = await terminationEmail(acct);
    expectStatus(
      await request(app).post(`/staff/v1/accounts/${acct.accountId}/reactivate`).set(staff).send({ reason: 'closed by mistake' }),
      200,
    );
    expectStatus(
      await request(app).post(`/staff/v1/accounts/${acct.accountId}/terminate`).set(staff).send({ reason: 'closed for good' }),
      201,
    );
    const second = await waitFor('the second termination email', async () => {
      const texts = (await emailsTo(sim.control, acct.email, TERMINATED_EMAIL)).map((e) => e.text!);
      return texts.length === 2 ? linkTokens(texts.find((t) => !t.includes(first.confirmToken))!) : undefined;
    });
    expect(second.confirmToken).not.toBe(first.confirmToken);
    expectProblem(await request(app).get(`/v1/account/export/${first.exportToken}`).set(fromFreshAddress()), 404, 'not_found');
    expectProblem(
      await request(app).post('/v1/account/termination/confirm').set(fromFreshAddress()).send({ token: first.confirmToken }),
      404,
      'not_found',
    );
    expectStatus(
      await request(app).post('/v1/account/termination/confirm').set(fromFreshAddress()).send({ token: second.confirmToken }),
      200,
    );
    await waitUntilDeleted(acct.accountId);
  });
});

// Last in the file: the process it ends may leave an activity in flight, which would hold this
// time-skipping server's clock for any test after it.
describe('a termination whose process has ended', () => {
  it('a termination whose process has ended answers 409 to reactivate and confirm, saying so (not a 503 no retry cures)', async () => {
    const acct = await seedAccount(app, pool(), h.deps, { importVia: 'sql' });
    expectStatus(
      await request(app).post(`/staff/v1/accounts/${acct.accountId}/terminate`).set(staff).send({ reason: 'customer asked by phone' }),
      201,
    );
    // Once its first steps are done (the email is out), so no activity of it is left in flight on this server.
    await terminationEmail(acct);
    await env.client.workflow.getHandle(terminationWorkflowId(acct.accountId)).terminate('ended by an operator');
    const ended = `the termination process of account ${acct.accountId} has ended (TERMINATED); it can no longer be changed`;
    const reactivate = await request(app).post(`/staff/v1/accounts/${acct.accountId}/reactivate`).set(staff).send({ reason: 'by mistake' });
    expectProblem(reactivate, 409, 'conflict');
    expect(reactivate.body.detail).toBe(ended);
    const confirm = await request(app).post(`/staff/v1/accounts/${acct.accountId}/confirm-deletion`).set(staff);
    expectProblem(confirm, 409, 'conflict');
    expect(confirm.body.detail).toBe(ended);
  });
});
