import { createHash, randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { Secret, URI, type TOTP } from 'otpauth';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createApp } from '../api/app';
import { openOrm } from '../db/orm';
import { ARGON2_HASH_PREFIX, dummyArgon2Hash, verifySecret } from '../lib/crypto/argon2';
import { SealedFieldError } from '../lib/crypto/sealed-field';
import { AppError } from '../lib/errors';
import { verifyAuditChain } from '../services/audit-log';
import { AuthLimits, SUBJECT_FAILURES_ALERT, ADDRESS_SUBJECT_FAILURES, TOTP_FAILURES } from '../services/auth/auth-limits';
import { SecurityAlerts } from '../services/auth/security-alerts';
import { ENROLMENT_TOKEN_PREFIX, STAFF_ENROLMENT_TTL_MS, StaffEnrolmentService } from '../services/staff/staff-enrolments';
import { STAFF_SESSION_TTL_MS, StaffSessionService } from '../services/staff/staff-sessions';
import { markStaffUserDisabled } from '../services/staff/staff-user-store';
import { openTotpSecret } from '../services/staff/totp-secret';
import { expectProblem, signUp } from './support/accounts';
import { afterTampering } from './support/audit-tampering';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { createStaffUser, staffBearer, type TestStaffUser } from './support/staff';

let h: Harness;
let sim: SimulatorProcess;
/** The product's app with the auth clock (failure budgets, TOTP steps, staff token expiry) at `now`. */
let app: Express;
const logLines: string[] = [];
/**
 * Every secret and staff email a test used (the scans compare lower-cased text): none may appear in the database in clear or in a log
 * line. (TOTP codes are left out: six digits turn up by chance in timestamps and hex, and a used code
 * is worthless; the secret that makes them is in.)
 */
const secretsSeen = new Set<string>();
const STEP_MS = 30_000;
/** A moment 5 s into a TOTP step; tests move it forward, never back. */
let now = Date.UTC(2031, 0, 6, 9, 0, 5);
/** Moves to 5 s into the next TOTP step: a user who just signed in needs a new code. */
const nextStep = () => (now = now - (now % STEP_MS) + STEP_MS + 5_000);

function remember(user: TestStaffUser): TestStaffUser {
  for (const s of [user.password, user.email, user.totp.secret.base32, user.totp.secret.hex]) secretsSeen.add(s);
  return user;
}

async function newStaff(role: TestStaffUser['role']): Promise<TestStaffUser> {
  return remember(await createStaffUser(h, role));
}

const codeAt = (user: TestStaffUser, at = now) => user.totp.generate({ timestamp: at });

/** A six-digit code that no step in the accepted window (previous, current, next) has. */
function wrongCodeFor(user: TestStaffUser): string {
  const window = [-1, 0, 1].map((d) => codeAt(user, now + d * STEP_MS));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!window.includes(code)) return code;
  }
}

function signIn(body: { email: string; password: string; code: string }, address = freshAddress()) {
  return request(app).post('/staff/v1/sessions').set('X-Forwarded-For', address).send(body);
}

/** Signs in with the current code; the next sign-in of the same user needs the next step, so time moves on. */
async function tokenFor(user: TestStaffUser): Promise<string> {
  const res = await signIn({ email: user.email, password: user.password, code: codeAt(user) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  secretsSeen.add(res.body.token);
  nextStep();
  return res.body.token as string;
}

const me = (token: string) => request(app).get('/staff/v1/me').set(staffBearer(token));

beforeAll(async () => {
  // The simulator's Resend takes the enrolment emails.
  sim = await startSimulatorProcess();
  h = await startHarness({ logLines, logLevel: 'debug', env: sim.env() });
  app = createApp({ ...h.deps, temporal: h.temporal }, { authClock: () => now });
});
afterAll(async () => {
  await h.close();
  await sim.stop();
});

/** The token of the newest enrolment email sent to `email` (what the staff member reads in their mailbox). */
async function enrolmentTokenSentTo(email: string): Promise<string> {
  const sent = await sim.control.emails(email);
  const token = /msn_[A-Za-z0-9_-]{43}/.exec(sent.at(-1)?.text ?? '')?.[0];
  expect(token, `an enrolment email to ${email}`).toBeDefined();
  return token!;
}

describe('staff sign-in', () => {
  it('email, password and the current TOTP code give a 12-hour mst_ token that reaches /staff/v1/me', async () => {
    const user = await newStaff('privacy');
    const res = await signIn({ email: user.email.toUpperCase(), password: user.password, code: codeAt(user) });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^mst_[A-Za-z0-9_-]{43}$/),
      expiresAt: new Date(now + STAFF_SESSION_TTL_MS).toISOString(),
      staffUser: { id: user.id, role: 'privacy' },
    });
    expect(STAFF_SESSION_TTL_MS).toBe(12 * 60 * 60 * 1000);
    secretsSeen.add(res.body.token);
    const who = await me(res.body.token);
    expect(who.status).toBe(200);
    expect(who.body).toEqual({
      id: user.id,
      email: user.email,
      role: 'privacy',
      createdAt: expect.any(String),
      disabledAt: null,
      session: { id: expect.any(String), expiresAt: res.body.expiresAt },
    });
    nextStep();
  });

  it('a wrong code, a wrong password, an unknown email and a disabled user all get the identical 401', async () => {
    const user = await newStaff('support');
    const disabled = await newStaff('support');
    const admin = await newStaff('admin');
    const adminToken = await tokenFor(admin);
    expect((await request(app).post(`/staff/v1/staff-users/${disabled.id}/disable`).set(staffBearer(adminToken))).status).toBe(200);
    const attempts = [
      { email: user.email, password: user.password, code: wrongCodeFor(user) },
      { email: user.email, password: `${user.password}x`, code: codeAt(user) },
      { email: `nobody-${user.email}`, password: user.password, code: codeAt(user) },
      { email: disabled.email, password: disabled.password, code: codeAt(disabled) },
    ];
    const answers = [];
    for (const attempt of attempts) answers.push(await signIn(attempt));
    for (const res of answers) {
      expectProblem(res, 401, 'unauthorized');
      expect(res.body).toEqual(answers[0]!.body);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect(answers[0]!.body.detail).toBe('the email, password or code is wrong');
    // None of them used up the code: the right credentials in the same step still get in.
    expect((await signIn({ email: user.email, password: user.password, code: codeAt(user) })).status).toBe(201);
    nextStep();
  });

  it('every attempt costs exactly one argon2 verification: an unknown email against the dummy hash of the same cost', async () => {
    const user = await newStaff('security');
    const hashes: string[] = [];
    const limits = new AuthLimits(h.deps.pgPool, h.deps.keys.authDigestKey, { failuresPerMinute: 100, keyCreationsPerHour: 60 });
    const service = new StaffSessionService(limits, new SecurityAlerts({ email: null, logger: h.deps.logger }), h.deps.keys.staffTotpKey, {
      clock: () => now,
      verify: (hash, plain) => {
        hashes.push(hash);
        return verifySecret(hash, plain);
      },
    });
    const em = h.deps.orm.em.fork();
    const [stored] = await em.execute<{ password_hash: string }[]>('select password_hash from staff_users where id = ?', [user.id]);
    const refused = async (input: { email: string; password: string; code: string }) => {
      const err = await service.create(em, input, freshAddress()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).kind).toBe('unauthorized');
    };
    await refused({ email: `unknown-${user.email}`, password: user.password, code: codeAt(user) });
    expect(hashes).toEqual([await dummyArgon2Hash()]);
    await refused({ email: user.email, password: 'wrong password', code: codeAt(user) });
    await refused({ email: user.email, password: user.password, code: wrongCodeFor(user) });
    expect(hashes).toEqual([await dummyArgon2Hash(), stored!.password_hash, stored!.password_hash]);
    expect(stored!.password_hash.startsWith(ARGON2_HASH_PREFIX)).toBe(true);
    await service.create(em, { email: user.email, password: user.password, code: codeAt(user) }, freshAddress());
    expect(hashes).toHaveLength(4);
    nextStep();
  });

  it('a code is accepted once: the same code again (even later in its step) and an older code are refused; the next code works', async () => {
    const user = await newStaff('privacy');
    const first = codeAt(user);
    const credentials = { email: user.email, password: user.password };
    expect((await signIn({ ...credentials, code: first })).status).toBe(201);
    expectProblem(await signIn({ ...credentials, code: first }), 401, 'unauthorized');
    now += 20_000; // 25 s into the same step
    expectProblem(await signIn({ ...credentials, code: first }), 401, 'unauthorized');
    now += 10_000; // the next step: its code works once, after which the previous step's code (still in the window) does not
    const second = codeAt(user);
    expect(second).not.toBe(first);
    expect((await signIn({ ...credentials, code: second })).status).toBe(201);
    expectProblem(await signIn({ ...credentials, code: first }), 401, 'unauthorized');
    nextStep();
  });

  it("accepts the previous and the next step's code (a clock a little off) and nothing further away", async () => {
    const user = await newStaff('support');
    const credentials = { email: user.email, password: user.password };
    expectProblem(await signIn({ ...credentials, code: codeAt(user, now + 2 * STEP_MS) }), 401, 'unauthorized');
    expectProblem(await signIn({ ...credentials, code: codeAt(user, now - 2 * STEP_MS) }), 401, 'unauthorized');
    expect((await signIn({ ...credentials, code: codeAt(user, now - STEP_MS) })).status).toBe(201);
    expect((await signIn({ ...credentials, code: codeAt(user, now + STEP_MS) })).status).toBe(201);
    // The next step's code was used, so the current one (an earlier step) is refused now.
    expectProblem(await signIn({ ...credentials, code: codeAt(user) }), 401, 'unauthorized');
    nextStep();
    nextStep();
  });

  it("strangers' failures never refuse the right password and code from a new address; each attacking address is blocked; security is alerted once", async () => {
    const user = await newStaff('support');
    for (let a = 0; a < SUBJECT_FAILURES_ALERT.points / ADDRESS_SUBJECT_FAILURES.points; a++) {
      const attacker = freshAddress();
      for (let i = 0; i < ADDRESS_SUBJECT_FAILURES.points; i++) {
        expectProblem(await signIn({ email: user.email, password: 'wrong password', code: codeAt(user) }, attacker), 401, 'unauthorized');
      }
      expectProblem(await signIn({ email: user.email, password: user.password, code: codeAt(user) }, attacker), 429, 'rate_limited');
    }
    expect((await signIn({ email: user.email, password: user.password, code: codeAt(user) })).status).toBe(201);
    nextStep();
    const alerts = await h.deps.orm.em
      .fork()
      .execute<{ target_id: string; details: unknown }[]>(
        "select target_id, details from audit_log where action = 'security.staff_sign_in_failures' and target_id = ?",
        [user.id],
      );
    expect(alerts).toEqual([{ target_id: user.id, details: { failures: 20, windowMinutes: 60 } }]);
  });

  it('wrong codes after the right password are limited per user (then even the right code is 429), audited and emailed to security staff', async () => {
    const security = await newStaff('security');
    const user = await newStaff('privacy');
    for (let i = 0; i < TOTP_FAILURES.points; i++) {
      expectProblem(await signIn({ email: user.email, password: user.password, code: wrongCodeFor(user) }), 401, 'unauthorized');
    }
    const limited = await signIn({ email: user.email, password: user.password, code: codeAt(user) });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.body.detail).toBe('limit of 5 wrong codes for this staff user per 15 minutes reached');
    // Without the password nothing changes: a stranger cannot tell this user is limited.
    expectProblem(await signIn({ email: user.email, password: 'wrong password', code: codeAt(user) }), 401, 'unauthorized');
    const alerts = await h.deps.orm.em
      .fork()
      .execute<{ actor_type: string; details: unknown }[]>(
        "select actor_type, details from audit_log where action = 'security.totp_failures' and target_id = ?",
        [user.id],
      );
    expect(alerts).toEqual([{ actor_type: 'system', details: { failures: 5, windowMinutes: 15 } }]);
    const emails = (await sim.control.emails(security.email)).filter((e) => e.subject.includes(user.id));
    expect(emails.map((e) => e.subject)).toEqual([`Security alert: 5 wrong TOTP codes after a correct password for staff user ${user.id}`]);
    nextStep();
  });

  it('failed sign-ins are limited per address across emails', async () => {
    const user = await newStaff('support');
    const attacker = freshAddress();
    for (let i = 0; i < 10; i++) {
      expectProblem(
        await signIn({ email: `guess-${i}@massivesms.example`, password: 'guess', code: '123456' }, attacker),
        401,
        'unauthorized',
      );
    }
    expectProblem(await signIn({ email: user.email, password: user.password, code: codeAt(user) }, attacker), 429, 'rate_limited');
    expect((await signIn({ email: user.email, password: user.password, code: codeAt(user) })).status).toBe(201);
    nextStep();
  });
});

describe('staff tokens', () => {
  it('expire exactly 12 hours after sign-in', async () => {
    const user = await newStaff('privacy');
    const signedInAt = now;
    const token = await tokenFor(user);
    now = signedInAt + STAFF_SESSION_TTL_MS - 1;
    expect((await me(token)).status).toBe(200);
    now = signedInAt + STAFF_SESSION_TTL_MS;
    const expired = await me(token);
    expectProblem(expired, 401, 'unauthorized');
    expect(expired.body.detail).toBe('the staff token is unknown, expired or revoked; log in again with POST /staff/v1/sessions');
    nextStep();
  });

  it('a live staff token is accepted from an address whose bad tokens are already limited (429)', async () => {
    const user = await newStaff('support');
    const token = await tokenFor(user);
    const address = freshAddress();
    const meFrom = (t: string) => request(app).get('/staff/v1/me').set(staffBearer(t)).set('X-Forwarded-For', address);
    for (let i = 0; i < 10; i++) expectProblem(await meFrom(`mst_${'x'.repeat(43)}`), 401, 'unauthorized');
    expectProblem(await meFrom(`mst_${'x'.repeat(43)}`), 429, 'rate_limited');
    const who = await meFrom(token);
    expect(who.status).toBe(200);
    expect(who.body.id).toBe(user.id);
  });

  it("a disabled user's token stops at once, even before its sessions are revoked", async () => {
    const user = await newStaff('support');
    const token = await tokenFor(user);
    await markStaffUserDisabled(h.deps.orm.em.fork(), user.id, new Date(now));
    expectProblem(await me(token), 401, 'unauthorized');
  });

  it('logout revokes the token used, at once; another session of the same user keeps working', async () => {
    const user = await newStaff('security');
    const kept = await tokenFor(user);
    const revoked = await tokenFor(user);
    const out = await request(app).delete('/staff/v1/sessions/current').set(staffBearer(revoked));
    expect(out.status).toBe(204);
    expectProblem(await me(revoked), 401, 'unauthorized');
    expectProblem(await request(app).delete('/staff/v1/sessions/current').set(staffBearer(revoked)), 401, 'unauthorized');
    expect((await me(kept)).status).toBe(200);
  });

  it('disabling a user revokes its sessions and refuses its sign-in; the last active admin cannot be disabled', async () => {
    const admin = await newStaff('admin');
    const adminToken = await tokenFor(admin);
    const user = await newStaff('privacy');
    const userToken = await tokenFor(user);
    const disabled = await request(app).post(`/staff/v1/staff-users/${user.id}/disable`).set(staffBearer(adminToken));
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: user.id, disabledAt: new Date(now).toISOString() });
    expectProblem(await me(userToken), 401, 'unauthorized');
    // Its session is revoked, not just hidden behind the disabled user (and the audit entry says how many).
    const em0 = h.deps.orm.em.fork();
    const live = await em0.execute('select id from staff_sessions where staff_user_id = ? and revoked_at is null', [user.id]);
    expect(live).toEqual([]);
    const [entry] = await em0.execute<{ details: { revokedSessions: number } }[]>(
      "select details from audit_log where action = 'staff_user.disabled' and target_id = ?",
      [user.id],
    );
    expect(entry!.details.revokedSessions).toBe(1);
    expectProblem(await signIn({ email: user.email, password: user.password, code: codeAt(user) }), 401, 'unauthorized');
    // Disabling again changes nothing and answers the same.
    const again = await request(app).post(`/staff/v1/staff-users/${user.id}/disable`).set(staffBearer(adminToken));
    expect(again.body).toEqual(disabled.body);

    // Every other active admin (earlier tests made some) is disabled by this one, then it is the last.
    const em = h.deps.orm.em.fork();
    const others = await em.execute<{ id: string }[]>(
      "select id from staff_users where role = 'admin' and disabled_at is null and id <> ?",
      [admin.id],
    );
    for (const { id } of others) {
      expect((await request(app).post(`/staff/v1/staff-users/${id}/disable`).set(staffBearer(adminToken))).status).toBe(200);
    }
    const last = await request(app).post(`/staff/v1/staff-users/${admin.id}/disable`).set(staffBearer(adminToken));
    expectProblem(last, 409, 'conflict');
    expect(last.body.detail).toBe('this is the last active admin: create another admin before disabling it');
    expect((await me(adminToken)).status).toBe(200);
  });
});

describe('staff users through the API', () => {
  it('an admin creates a staff user: the answer holds no factor; the emailed token enrols once, and the user signs in with it', async () => {
    const admin = await newStaff('admin');
    const adminToken = await tokenFor(admin);
    const email = `New.Privacy.${Date.now()}@MassiveSMS.example`;
    const refusedPassword = await request(app)
      .post('/staff/v1/staff-users')
      .set(staffBearer(adminToken))
      .send({ email, role: 'privacy', password: 'the admin picks it' });
    expectProblem(refusedPassword, 422, 'validation');
    const created = await request(app).post('/staff/v1/staff-users').set(staffBearer(adminToken)).send({ email, role: 'privacy' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      role: 'privacy',
      createdAt: new Date(now).toISOString(),
      disabledAt: null,
      enrolment: { expiresAt: new Date(now + STAFF_ENROLMENT_TTL_MS).toISOString(), emailed: true },
    });
    expect(STAFF_ENROLMENT_TTL_MS).toBe(72 * 60 * 60 * 1000);
    // Not enrolled yet: no factor exists, so nothing signs in.
    const [row] = await h.deps.orm.em
      .fork()
      .execute<{ password_hash: string | null; totp_secret: Buffer | null }[]>(
        'select password_hash, totp_secret from staff_users where id = ?',
        [created.body.id],
      );
    expect(row).toEqual({ password_hash: null, totp_secret: null });

    const token = await enrolmentTokenSentTo(email.toLowerCase());
    secretsSeen.add(token);
    const password = 'a long staff password 7';
    const enrolled = await request(app).post('/staff/v1/enrolments').send({ token, password });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    expect(enrolled.body).toEqual({
      staffUser: { id: created.body.id, email: email.toLowerCase(), role: 'privacy', createdAt: created.body.createdAt, disabledAt: null },
      otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\/MassiveSMS:.+\?.*secret=[A-Z2-7]+/),
    });
    const again = await request(app).post('/staff/v1/enrolments').send({ token, password: 'a second password here' });
    expectProblem(again, 401, 'unauthorized');
    expect(again.body.detail).toBe('the enrolment token is unknown, used, expired or revoked; ask an admin to reset your enrolment');
    const enrolledUri = new URL(enrolled.body.otpauthUri);
    expect(Object.fromEntries(enrolledUri.searchParams)).toMatchObject({
      issuer: 'MassiveSMS',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    const secret = Secret.fromBase32(enrolledUri.searchParams.get('secret')!);
    secretsSeen.add(secret.base32).add(secret.hex).add(password);

    const newUser = remember({
      id: created.body.id,
      email: created.body.email,
      password,
      role: 'privacy',
      otpauthUri: enrolled.body.otpauthUri,
      totp: URI.parse(enrolled.body.otpauthUri) as TOTP,
    });
    expect((await me(await tokenFor(newUser))).body.role).toBe('privacy');

    const listed: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await request(app)
        .get('/staff/v1/staff-users')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(staffBearer(adminToken));
      expect(page.status).toBe(200);
      listed.push(...page.body.data);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(listed.find((u) => u.id === newUser.id)).toEqual({
      id: newUser.id,
      email: newUser.email,
      role: 'privacy',
      createdAt: created.body.createdAt,
      disabledAt: null,
    });
    const [total] = await h.deps.orm.em.fork().execute<{ count: string }[]>('select count(*)::text as count from staff_users');
    expect(listed).toHaveLength(Number(total!.count));
    expect(JSON.stringify(listed)).not.toMatch(/otpauth|secret|password/i);

    const duplicate = await request(app)
      .post('/staff/v1/staff-users')
      .set(staffBearer(adminToken))
      .send({ email: email.toUpperCase(), role: 'support' });
    expectProblem(duplicate, 409, 'conflict');
    expect(duplicate.body.detail).toBe('a staff user with this email already exists');
  });

  it('an expired enrolment token is refused; a reset clears both factors, ends the sessions and the old token, and only the new token enrols', async () => {
    const admin = await newStaff('admin');
    const adminToken = await tokenFor(admin);
    const email = `reset-${Date.now()}@massivesms.example`;
    const created = await request(app).post('/staff/v1/staff-users').set(staffBearer(adminToken)).send({ email, role: 'support' });
    expect(created.status).toBe(201);
    const expired = await enrolmentTokenSentTo(email);
    secretsSeen.add(expired);
    now += STAFF_ENROLMENT_TTL_MS;
    expectProblem(
      await request(app).post('/staff/v1/enrolments').send({ token: expired, password: 'too late a password' }),
      401,
      'unauthorized',
    );
    nextStep();
    const adminToken2 = await tokenFor(admin); // the admin's session is 12 hours; the clock moved 72

    const first = await request(app).post(`/staff/v1/staff-users/${created.body.id}/reset-enrolment`).set(staffBearer(adminToken2));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: created.body.id,
      enrolment: { expiresAt: new Date(now + STAFF_ENROLMENT_TTL_MS).toISOString(), emailed: true },
    });
    const token = await enrolmentTokenSentTo(email);
    expect(token).not.toBe(expired);
    secretsSeen.add(token);
    const enrolled = await request(app).post('/staff/v1/enrolments').send({ token, password: 'my own first password' });
    expect(enrolled.status).toBe(200);
    const user = remember({
      id: created.body.id,
      email,
      password: 'my own first password',
      role: 'support',
      otpauthUri: enrolled.body.otpauthUri,
      totp: URI.parse(enrolled.body.otpauthUri) as TOTP,
    });
    const session = await tokenFor(user);
    expect((await me(session)).status).toBe(200);

    const second = await request(app).post(`/staff/v1/staff-users/${created.body.id}/reset-enrolment`).set(staffBearer(adminToken2));
    expect(second.status).toBe(200);
    expect((await me(session)).status).toBe(401);
    expect((await signIn({ email, password: user.password, code: codeAt(user) })).status).toBe(401);
    const [row] = await h.deps.orm.em
      .fork()
      .execute<{ password_hash: string | null; totp_secret: Buffer | null }[]>(
        'select password_hash, totp_secret from staff_users where id = ?',
        [created.body.id],
      );
    expect(row).toEqual({ password_hash: null, totp_secret: null });
    const third = await enrolmentTokenSentTo(email);
    secretsSeen.add(third);
    expectProblem(await request(app).post('/staff/v1/enrolments').send({ token, password: 'reusing the old token' }), 401, 'unauthorized');
    expect((await request(app).post('/staff/v1/enrolments').send({ token: third, password: 'my own second password' })).status).toBe(200);
    secretsSeen.add('my own second password');
  });

  it('staff users are disabled, never deleted: the app role may not delete them', async () => {
    const user = await newStaff('support');
    await expect(h.deps.orm.em.fork().execute('delete from staff_users where id = ?', [user.id])).rejects.toThrow(/permission denied/);
  });
});

describe('enrolment by a stranger', () => {
  it('a made-up token is refused before the password is hashed (no argon2 work to burn for the unauthenticated); a real one hashes once', async () => {
    let hashes = 0;
    const service = new StaffEnrolmentService({
      staffTotpKey: h.deps.keys.staffTotpKey,
      email: null,
      apiBaseUrl: h.config.PUBLIC_BASE_URL,
      hashPassword: (password) => {
        hashes++;
        return Promise.resolve(`counted:${password.length}`);
      },
    });
    const madeUp = `${ENROLMENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const refused = await service.enrol(h.deps.orm.em.fork(), madeUp, 'a password of my own').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ kind: 'unauthorized' });
    expect(hashes).toBe(0);

    const email = `stranger-check-${randomBytes(4).toString('hex')}@massivesms.example`;
    const { enrolment } = await service.createUser(h.deps.orm.em.fork(), { email, role: 'support' }, 'operator');
    await service.enrol(h.deps.orm.em.fork(), enrolment.token, 'a password of my own');
    expect(hashes).toBe(1);
  });
});

describe('audit', () => {
  let owner: MikroORM;
  beforeAll(async () => {
    owner = await openOrm(inject('ownerDatabaseUrl'), 1);
  });
  afterAll(() => owner.close());

  it('every staff action is audited with the staff user as actor, and the chain still verifies', async () => {
    const admin = await newStaff('admin');
    const adminToken = await tokenFor(admin);
    const sessionId = (await me(adminToken)).body.session.id as string;
    const created = await request(app)
      .post('/staff/v1/staff-users')
      .set(staffBearer(adminToken))
      .send({ email: `audited-${Date.now()}@massivesms.example`, role: 'support' });
    expect(created.status).toBe(201);
    const reset = await request(app).post(`/staff/v1/staff-users/${created.body.id}/reset-enrolment`).set(staffBearer(adminToken));
    expect(reset.status).toBe(200);
    expect((await request(app).post(`/staff/v1/staff-users/${created.body.id}/disable`).set(staffBearer(adminToken))).status).toBe(200);
    expect((await request(app).delete('/staff/v1/sessions/current').set(staffBearer(adminToken))).status).toBe(204);

    const em = h.deps.orm.em.fork();
    const entries = await em.execute<Record<string, unknown>[]>(
      `select action, actor_type, actor_id, account_id, target_type, target_id, details from audit_log
        where actor_id = ? or target_id = ? order by seq`,
      [admin.id, admin.id],
    );
    const byAdmin = { actor_type: 'staff', actor_id: admin.id, account_id: null };
    const session = { staffSessionId: sessionId, staffRole: 'admin' };
    expect(entries).toEqual([
      {
        action: 'staff_user.created',
        actor_type: 'operator',
        actor_id: null,
        account_id: null,
        target_type: 'staff_user',
        target_id: admin.id,
        details: { role: 'admin', enrolmentId: expect.any(String) },
      },
      {
        action: 'staff_user.enrolled',
        ...byAdmin,
        target_type: 'staff_user',
        target_id: admin.id,
        details: { enrolmentId: expect.any(String) },
      },
      { action: 'staff_session.created', ...byAdmin, target_type: 'staff_session', target_id: sessionId, details: session },
      {
        action: 'staff_user.created',
        ...byAdmin,
        target_type: 'staff_user',
        target_id: created.body.id,
        details: { ...session, role: 'support', enrolmentId: expect.any(String) },
      },
      {
        action: 'staff_user.enrolment_reset',
        ...byAdmin,
        target_type: 'staff_user',
        target_id: created.body.id,
        details: { ...session, revokedSessions: 0, revokedEnrolments: 1, enrolmentId: expect.any(String) },
      },
      {
        action: 'staff_user.disabled',
        ...byAdmin,
        target_type: 'staff_user',
        target_id: created.body.id,
        details: { ...session, revokedSessions: 0 },
      },
      { action: 'staff_session.revoked', ...byAdmin, target_type: 'staff_session', target_id: sessionId, details: session },
    ]);

    const verdict = await verifyAuditChain(em, [h.deps.keys.auditMacKey]);
    expect(verdict).toMatchObject({ ok: true });
  });

  it("rewriting a staff entry's actor breaks the chain at that entry", async () => {
    const [entry] = await h.deps.orm.em
      .fork()
      .execute<{ seq: string }[]>("select seq::text as seq from audit_log where actor_type = 'staff' order by seq desc limit 1");
    const other = await newStaff('admin');
    const verdict = await afterTampering(
      owner,
      async (em) => {
        await em.execute('alter table audit_log disable trigger audit_log_append_only');
        await em.execute('update audit_log set actor_id = ? where seq = ?', [other.id, entry!.seq]);
      },
      (em) => verifyAuditChain(em, [h.deps.keys.auditMacKey]),
    );
    expect(verdict).toMatchObject({ ok: false, brokenAtSeq: entry!.seq, reason: 'entry content does not match its MAC' });
  });
});

describe('secrets at rest and in logs', () => {
  it('no password, TOTP secret, token or staff email is stored in clear; the sealed secret opens only for its own user', async () => {
    // A customer's sign-up and a staff login in the same database, so the scan also sees the customer tables.
    await signUp(app, 'Staff scan');
    const user = await newStaff('privacy');
    const token = await tokenFor(user);
    const em = h.deps.orm.em.fork();

    // Every table of the schema, searched in SQL: a secret in clear (as text, or as hex of a bytea) is a hit.
    expect(secretsSeen.size).toBeGreaterThanOrEqual(5); // at least this test's own user and token
    const key = h.deps.keys.staffTotpKey;
    const secrets = [...secretsSeen].filter((v) => !v.includes('@'));
    const patterns = [...secrets, ...secrets.map((v) => Buffer.from(v).toString('hex')), key.toString('hex'), key.toString('base64')].map(
      (v) => v.toLowerCase(),
    );
    const emails = [...secretsSeen].filter((v) => v.includes('@')).map((v) => v.toLowerCase());
    const tables = await em.execute<{ name: string }[]>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['staff_users', 'staff_sessions', 'audit_log', 'system_keys']));
    for (const { name } of tables) {
      // Staff emails are stored where they are the login, staff_users.email, and nowhere else.
      const searched = name === 'staff_users' ? patterns : [...patterns, ...emails];
      const [hits] = await em.execute<{ n: string }[]>(
        `select count(*)::text as n from "${name}" t where lower(row_to_json(t)::text) like any (array[?])`,
        [searched.map((v) => `%${v}%`)],
      );
      expect(hits!.n, `a secret in clear in ${name}`).toBe('0');
    }

    // What is stored is the token's SHA-256.
    const [session] = await em.execute<{ token_hash: Buffer }[]>('select token_hash from staff_sessions where token_hash = ?', [
      createHash('sha256').update(token).digest(),
    ]);
    expect(session).toBeDefined();

    const rows = await em.execute<{ id: string; password_hash: string; totp_secret: Buffer }[]>(
      'select id, password_hash, totp_secret from staff_users where id = ?',
      [user.id],
    );
    expect(rows[0]!.password_hash.startsWith(ARGON2_HASH_PREFIX)).toBe(true);
    expect(openTotpSecret(h.deps.keys.staffTotpKey, user.id, rows[0]!.totp_secret).toString('hex')).toBe(
      user.totp.secret.hex.toLowerCase(),
    );
    const other = await newStaff('privacy');
    expect(() => openTotpSecret(h.deps.keys.staffTotpKey, other.id, rows[0]!.totp_secret)).toThrow(SealedFieldError);
  });

  it('logs hold no password, token, TOTP secret or staff email', () => {
    expect(logLines.length).toBeGreaterThan(20);
    const log = logLines.join('\n').toLowerCase();
    for (const secret of secretsSeen) expect(log.includes(secret.toLowerCase()), `found "${secret}" in the logs`).toBe(false);
  });
});
