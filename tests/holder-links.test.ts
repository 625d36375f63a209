import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferredWorkOf } from '../api/app';
import { LINK_REQUESTS_PER_ADDRESS } from '../services/holders/link-requests';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import { emailedToken, HOLDER_PASSWORD, holderCookieHeaders, publicAddress, signInHolder, signUpHolder } from './support/holders';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let h: Harness;
const newEmail = () => `links-${randomBytes(6).toString('hex')}@example.com`;
const NEW_PASSWORD = 'a fresh password nobody saw';
const RESET = 'Reset your MassiveSMS password';
const VERIFY = 'Confirm your email for MassiveSMS';
const CHANGE = 'Confirm your new email for MassiveSMS';
const CHANGED = 'Your MassiveSMS sign-in email was changed';

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: sim.env() });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

const post = (path: string, body: object, address = freshAddress()) => request(h.app).post(path).set('X-Forwarded-For', address).send(body);
const signUpRaw = (email: string) => post('/v1/accounts', { accountName: 'Links Co', email, password: HOLDER_PASSWORD });
/** A dead credential is charged to its address: from a fresh one, so parallel test files do not share that budget. */
const fromElsewhere = () => ({ 'X-Forwarded-For': freshAddress() });
const settle = () => deferredWorkOf(h.app).idle();
const subjectsTo = async (to: string) => (await sim.control.emails(to)).map((e) => e.subject);
const auditActions = async (userId: string) =>
  (await h.deps.pgPool.query<{ action: string }>(`select action from audit_log where actor_id = $1 order by seq`, [userId])).rows.map(
    (r) => r.action,
  );

/** What a client can see of an answer: status, body and header names (values like Date differ anyway). */
const visible = (res: request.Response) => ({
  status: res.status,
  body: res.body as unknown,
  headers: Object.keys(res.headers)
    .filter((k) => !['date', 'ratelimit-remaining', 'content-length'].includes(k))
    .sort(),
});

describe('verification resend', () => {
  it('an unverified sign-in gets a new link that replaces the old one; unknown and verified emails get the same answer and nothing', async () => {
    const email = newEmail();
    const signedUp = await signUpRaw(email);
    expect(signedUp.status).toBe(201);
    const first = await emailedToken(sim.control, email, VERIFY, 1);
    const verified = await signUpHolder(h);
    await h.deps.pgPool.query('update users set email_verified_at = now() where id = $1', [verified.userId]);
    const unknown = newEmail();

    const answers = [];
    for (const to of [email, unknown, verified.email]) answers.push(await post('/v1/holders/email-verification-requests', { email: to }));
    await settle();
    expect(answers.map(visible)).toEqual(Array(3).fill(visible(answers[0]!)));
    expect(answers[0]!.status).toBe(202);
    expect(answers[0]!.body).toEqual({ status: 'accepted' });
    expect(await subjectsTo(unknown)).toEqual([]);
    // Its sign-up's link only: a verified sign-in gets no new one.
    expect((await subjectsTo(verified.email)).filter((s) => s === VERIFY)).toHaveLength(1);

    const second = await emailedToken(sim.control, email, VERIFY, 2);
    expect(second.token).not.toBe(first.token);
    expectProblem(await post('/v1/holders/email-verifications', { token: first.token }), 401, 'unauthorized');
    const used = await post('/v1/holders/email-verifications', { token: second.token });
    expect(used.body).toEqual({ accountId: signedUp.body.account.id, verified: true });
  });

  it("shares the sign-up link's budget per email (5 an hour): the 5th resend is 429, for an unknown email the 6th, same wording", async () => {
    const email = newEmail();
    expect((await signUpRaw(email)).status).toBe(201);
    const unknown = newEmail();
    const statuses = async (to: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await post('/v1/holders/email-verification-requests', { email: to })).status);
      return out;
    };
    expect(await statuses(email, 5)).toEqual([202, 202, 202, 202, 429]);
    expect(await statuses(unknown, 6)).toEqual([202, 202, 202, 202, 202, 429]);
    const limited = await post('/v1/holders/email-verification-requests', { email: unknown });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.body.detail).toBe('limit of 5 emailed links to this address per 60 minutes reached');
    await settle();
  });

  it(`limits requests per client address (${LINK_REQUESTS_PER_ADDRESS.points} an hour), whatever the emails`, async () => {
    const address = freshAddress();
    const out: number[] = [];
    for (let i = 0; i <= LINK_REQUESTS_PER_ADDRESS.points; i++) {
      out.push((await post('/v1/holders/password-reset-requests', { email: newEmail() }, address)).status);
    }
    expect(out).toEqual([...Array(LINK_REQUESTS_PER_ADDRESS.points).fill(202), 429]);
    expect(LINK_REQUESTS_PER_ADDRESS).toEqual({ points: 20, durationSeconds: 3600 });
    await settle();
  });
});

describe('password reset by emailed link', () => {
  it('answers alike for a known and an unknown email; the answer does not wait for the lookup', async () => {
    const holder = await signUpHolder(h);
    const unknown = newEmail();
    const known = await post('/v1/holders/password-reset-requests', { email: holder.email.toUpperCase() });
    const stranger = await post('/v1/holders/password-reset-requests', { email: unknown });
    expect(visible(stranger)).toEqual(visible(known));
    expect(known.status).toBe(202);
    await emailedToken(sim.control, holder.email, RESET, 1);
    await settle();
    expect(await subjectsTo(unknown)).toEqual([]);

    // With the identity table locked, no lookup can finish: the answer comes anyway, and the email once the lock goes.
    const blocker = new pg.Client({ connectionString: h.config.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table users in access exclusive mode');
      const answered = await post('/v1/holders/password-reset-requests', { email: holder.email });
      expect(answered.status).toBe(202);
      expect((await subjectsTo(holder.email)).filter((s) => s === RESET)).toHaveLength(1);
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
    await emailedToken(sim.control, holder.email, RESET, 2);
    await settle();
  });

  it('the link works once, within an hour, replaces older ones, sets the password and ends every session; audited', async () => {
    const holder = await signUpHolder(h);
    const keyToken = await request(h.app)
      .post('/v1/sessions')
      .set(publicAddress())
      .send({ email: holder.email, password: HOLDER_PASSWORD });
    expect((await post('/v1/holders/password-reset-requests', { email: holder.email })).status).toBe(202);
    const older = await emailedToken(sim.control, holder.email, RESET, 1);
    expect((await post('/v1/holders/password-reset-requests', { email: holder.email })).status).toBe(202);
    const newer = await emailedToken(sim.control, holder.email, RESET, 2);
    await settle();

    const { rows } = await h.deps.pgPool.query<{ lifetime: number; open: boolean }>(
      `select extract(epoch from expires_at - created_at)::int as lifetime, (revoked_at is null) as open
         from email_links where user_id = $1 and purpose = 'password_reset' order by created_at`,
      [holder.userId],
    );
    expect(rows).toEqual([
      { lifetime: 3600, open: false },
      { lifetime: 3600, open: true },
    ]);
    expectProblem(await post('/v1/holders/password-resets', { token: older.token, newPassword: NEW_PASSWORD }), 401, 'unauthorized');

    const reset = await post('/v1/holders/password-resets', { token: newer.token, newPassword: NEW_PASSWORD });
    expect(reset.status, JSON.stringify(reset.body)).toBe(204);
    expectProblem(await request(h.app).get('/v1/account/profile').set(fromElsewhere()).set(holder.session), 401, 'unauthorized');
    expectProblem(
      await request(h.app)
        .get('/v1/api-keys')
        .set(fromElsewhere())
        .set({ Authorization: `Bearer ${keyToken.body.token}` }),
      401,
      'unauthorized',
    );
    expectProblem(
      await post('/v1/holders/password-resets', { token: newer.token, newPassword: 'yet another password' }),
      401,
      'unauthorized',
    );
    expectProblem(await post('/v1/sessions', { email: holder.email, password: HOLDER_PASSWORD }), 401, 'unauthorized');
    expect((await post('/v1/sessions', { email: holder.email, password: NEW_PASSWORD })).status).toBe(201);
    expect(await auditActions(holder.userId)).toEqual(
      expect.arrayContaining(['holder.password_reset_requested', 'holder.password_reset_requested', 'holder.password_reset']),
    );
    const [audit] = (
      await h.deps.pgPool.query<{ details: { sessionsEnded: number } }>(
        `select details from audit_log where actor_id = $1 and action = 'holder.password_reset'`,
        [holder.userId],
      )
    ).rows;
    // Two sign-ins, each a cookie session and a key-management token.
    expect(audit!.details.sessionsEnded).toBe(4);
  });

  it('an expired link is refused, and a reset link cannot verify, nor a verification link reset', async () => {
    const holder = await signUpHolder(h);
    expect((await post('/v1/holders/password-reset-requests', { email: holder.email })).status).toBe(202);
    const link = await emailedToken(sim.control, holder.email, RESET, 1);
    await settle();
    expectProblem(await post('/v1/holders/email-verifications', { token: link.token }), 401, 'unauthorized');
    const verify = await emailedToken(sim.control, holder.email, VERIFY, 1);
    expectProblem(await post('/v1/holders/password-resets', { token: verify.token, newPassword: NEW_PASSWORD }), 401, 'unauthorized');
    await h.deps.pgPool.query(`update email_links set expires_at = now() where user_id = $1 and purpose = 'password_reset'`, [
      holder.userId,
    ]);
    expectProblem(await post('/v1/holders/password-resets', { token: link.token, newPassword: NEW_PASSWORD }), 401, 'unauthorized');
    expect((await post('/v1/sessions', { email: holder.email, password: HOLDER_PASSWORD })).status).toBe(201);
  });

  it('requests are limited per email (5 an hour) alike for an unknown one', async () => {
    const holder = await signUpHolder(h);
    for (const email of [holder.email, newEmail()]) {
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push((await post('/v1/holders/password-reset-requests', { email })).status);
      expect(out).toEqual([202, 202, 202, 202, 202, 429]);
    }
    await settle();
  });
});

describe('email change with verification', () => {
  const requestChange = (session: Record<string, string>, body: object) =>
    request(h.app).post('/v1/account/email-change-requests').set(session).send(body);

  it('needs the password; the link goes to the new address; only its use changes the email; the old address is told; audited', async () => {
    const holder = await signUpHolder(h);
    const to = newEmail();
    const wrong = await requestChange(holder.session, { newEmail: to, currentPassword: 'not my password' });
    expectProblem(wrong, 403, 'forbidden');
    expect(wrong.body.detail).toBe('currentPassword is not your current password');
    const asked = await requestChange(holder.session, { newEmail: to.toUpperCase(), currentPassword: HOLDER_PASSWORD });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({ status: 'accepted' });
    const link = await emailedToken(sim.control, to, CHANGE, 1);
    expect((await request(h.app).get('/v1/account/profile').set(holder.session)).body.email).toBe(holder.email);
    expect((await post('/v1/sessions', { email: to, password: HOLDER_PASSWORD })).status).toBe(401);

    const used = await post('/v1/holders/email-changes', { token: link.token });
    expect(used.status).toBe(200);
    expect(used.body).toEqual({ email: to });
    expect((await request(h.app).get('/v1/account/profile').set(holder.session)).body.email).toBe(to);
    expect((await post('/v1/sessions', { email: to, password: HOLDER_PASSWORD })).status).toBe(201);
    expectProblem(await post('/v1/sessions', { email: holder.email, password: HOLDER_PASSWORD }), 401, 'unauthorized');
    expect((await subjectsTo(holder.email)).filter((s) => s === CHANGED)).toHaveLength(1);
    expect(await subjectsTo(to)).toEqual([CHANGE]);
    expectProblem(await post('/v1/holders/email-changes', { token: link.token }), 401, 'unauthorized');
    expect(await auditActions(holder.userId)).toEqual(expect.arrayContaining(['holder.email_change_requested', 'holder.email_changed']));
  });

  it('one identity per email holds: a taken address (any case) gets the same answer and no link; one taken after the link is 409 at use', async () => {
    const holder = await signUpHolder(h);
    const other = await signUpHolder(h);
    const taken = await requestChange(holder.session, { newEmail: other.email.toUpperCase(), currentPassword: HOLDER_PASSWORD });
    const free = newEmail();
    const open = await requestChange(holder.session, { newEmail: free, currentPassword: HOLDER_PASSWORD });
    expect(visible(taken)).toEqual(visible(open));
    await emailedToken(sim.control, free, CHANGE, 1);
    await settle();
    expect((await subjectsTo(other.email)).filter((s) => s === CHANGE)).toEqual([]);

    const link = await emailedToken(sim.control, free, CHANGE, 1);
    expect((await signUpRaw(free)).status).toBe(201); // someone signs up with the address before the link is used
    expectProblem(await post('/v1/holders/email-changes', { token: link.token }), 409, 'conflict');
    expect((await request(h.app).get('/v1/account/profile').set(holder.session)).body.email).toBe(holder.email);
    expectProblem(await requestChange(holder.session, { newEmail: holder.email, currentPassword: HOLDER_PASSWORD }), 422, 'validation');
  });

  it('a newer request voids the older link', async () => {
    const holder = await signUpHolder(h);
    const [first, second] = [newEmail(), newEmail()];
    expect((await requestChange(holder.session, { newEmail: first, currentPassword: HOLDER_PASSWORD })).status).toBe(202);
    const older = await emailedToken(sim.control, first, CHANGE, 1);
    expect((await requestChange(holder.session, { newEmail: second, currentPassword: HOLDER_PASSWORD })).status).toBe(202);
    const newer = await emailedToken(sim.control, second, CHANGE, 1);
    expectProblem(await post('/v1/holders/email-changes', { token: older.token }), 401, 'unauthorized');
    expect((await post('/v1/holders/email-changes', { token: newer.token })).body).toEqual({ email: second });
  });
});

describe('password change rotates the session', () => {
  it('the answer sets a new cookie; the old token stops working', async () => {
    const holder = await signUpHolder(h);
    const changed = await request(h.app)
      .post('/v1/account/password')
      .set(holder.session)
      .send({ currentPassword: HOLDER_PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.status).toBe(204);
    const rotated = holderCookieHeaders(changed.headers['set-cookie']);
    expect(rotated.Cookie).not.toBe(holder.session.Cookie);
    expectProblem(await request(h.app).get('/v1/account/profile').set(fromElsewhere()).set(holder.session), 401, 'unauthorized');
    expect((await request(h.app).get('/v1/account/profile').set(rotated)).status).toBe(200);
    expect((await signInHolder(h, holder.email, NEW_PASSWORD)).Cookie).toMatch(/^__Host-mss_session=mhs_/);
  });
});
