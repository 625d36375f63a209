import { createHash, randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors';
import { EMAIL_LINK_ISSUES, EmailLinks } from '../services/holders/email-links';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';

let sim: SimulatorProcess;
let h: Harness;
let app: Express;
const em = () => h.deps.orm.em.fork();
const PASSWORD = 'correct horse battery staple';
const newEmail = () => `holder-${randomBytes(6).toString('hex')}@example.com`;
const sha256 = (token: string) => createHash('sha256').update(token).digest();

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: sim.env() });
  app = h.app;
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const signUpAs = (email: string, accountName = 'Shop', password = PASSWORD) =>
  request(app).post('/v1/accounts').set('X-Forwarded-For', freshAddress()).send({ accountName, email, password });

/** The token of the newest email to `to`, and that email (what the holder reads in their mailbox). Sign-up sends before it answers. */
async function linkSentTo(to: string, count = 1): Promise<{ token: string; subject: string; text: string }> {
  const sent = await sim.control.emails(to);
  expect(sent).toHaveLength(count);
  const last = sent.at(-1)!;
  const text = last.text ?? '';
  const token = /mse_[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  expect(token).toBeDefined();
  return { token: token!, subject: last.subject, text };
}

const sendSms = (auth: { Authorization: string }) =>
  request(app).post('/v1/messages').set(auth).send({ to: '+14155550100', from: '+14155550199', body: 'hi' });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('emailed links (services/holders/email-links.ts)', () => {
  const links = () => new EmailLinks(h.deps.pgPool, h.deps.keys.authDigestKey);

  async function identity(): Promise<string> {
    const email = newEmail();
    expect((await signUpAs(email)).status).toBe(201);
    const [row] = await em().execute<{ id: string }[]>('select id from users where email = ?', [email]);
    return row!.id;
  }

  it('stores only the SHA-256 of a 256-bit token, and a link works once, for its purpose only', async () => {
    const userId = await identity();
    const issued = await links().issue(em(), { purpose: 'password_reset', userId, rateKey: `k-${userId}` });
    expect(issued.token).toMatch(/^mse_[A-Za-z0-9_-]{43}$/);
    const [row] = await em().execute<{ token_hash: Buffer; purpose: string }[]>(
      'select token_hash, purpose from email_links where id = ?',
      [issued.id],
    );
    expect(Buffer.from(row!.token_hash).equals(sha256(issued.token))).toBe(true);
    expect(row!.purpose).toBe('password_reset');
    expect((await refusal(() => links().consume(em(), issued.token, 'verify_email'))).kind).toBe('unauthorized');
    const used = await links().consume(em(), issued.token, 'password_reset');
    expect(used).toMatchObject({ id: issued.id, purpose: 'password_reset', userId, accountId: null });
    expect((await refusal(() => links().consume(em(), issued.token, 'password_reset'))).kind).toBe('unauthorized');
  });

  it('two uses at once: exactly one wins', async () => {
    const userId = await identity();
    const issued = await links().issue(em(), { purpose: 'email_change', userId, rateKey: `k-${userId}` });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => links().consume(em(), issued.token, 'email_change')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('an expired link and a revoked link are refused', async () => {
    const userId = await identity();
    let now = Date.now();
    const clocked = new EmailLinks(h.deps.pgPool, h.deps.keys.authDigestKey, () => now);
    const issued = await clocked.issue(em(), { purpose: 'password_reset', userId, rateKey: `k-${userId}`, ttlMs: 60_000 });
    now += 60_000;
    expect((await refusal(() => clocked.consume(em(), issued.token, 'password_reset'))).kind).toBe('unauthorized');
    const second = await clocked.issue(em(), { purpose: 'password_reset', userId, rateKey: `k-${userId}` });
    expect(await clocked.revokeOpen(em(), userId, 'password_reset')).toBe(1);
    expect((await refusal(() => clocked.consume(em(), second.token, 'password_reset'))).kind).toBe('unauthorized');
  });

  it('issuing is limited per (purpose, rate key): the 6th in an hour is 429, tryIssue answers null, another purpose is unaffected', async () => {
    const userId = await identity();
    const rateKey = `limited-${userId}`;
    for (let i = 0; i < EMAIL_LINK_ISSUES.points; i += 1) await links().issue(em(), { purpose: 'password_reset', userId, rateKey });
    const limited = await refusal(() => links().issue(em(), { purpose: 'password_reset', userId, rateKey }));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.message).toBe('limit of 5 emailed links to this address per 60 minutes reached');
    expect(await links().tryIssue(em(), { purpose: 'password_reset', userId, rateKey })).toBeNull();
    expect(await links().tryIssue(em(), { purpose: 'email_change', userId, rateKey })).not.toBeNull();
    expect(EMAIL_LINK_ISSUES).toEqual({ points: 5, durationSeconds: 3600 });
  });
});

describe('one identity per email, verified before sending', () => {
  it('a new email: one identity, owner of the account, unverified; sending is refused until the emailed link is used', async () => {
    const email = newEmail();
    const res = await signUpAs(email.toUpperCase());
    expect(res.status).toBe(201);
    const accountId = res.body.account.id as string;
    const rows = await em().execute<{ email: string; role: string; verified_at: Date | null; email_verified_at: Date | null }[]>(
      `select u.email, m.role, m.verified_at, u.email_verified_at from users u join account_memberships m on m.user_id = u.id
        where m.account_id = ?`,
      [accountId],
    );
    expect(rows).toEqual([{ email, role: 'owner', verified_at: null, email_verified_at: null }]);
    const before = await sendSms(bearer(res.body.apiKey.key));
    expectProblem(before, 403, 'forbidden');
    expect(before.body.detail).toContain("the account's owner has not verified their email yet");
    const mail = await linkSentTo(email);
    expect(mail.subject).toBe('Confirm your email for MassiveSMS');
    const verified = await request(app)
      .post('/v1/holders/email-verifications')
      .set('X-Forwarded-For', freshAddress())
      .send({ token: mail.token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ accountId, verified: true });
    // Past the holder check, the send meets the next one: the sender is not the account's.
    expectProblem(await sendSms(bearer(res.body.apiKey.key)), 422, 'sender_not_registered');
    expectProblem(
      await request(app).post('/v1/holders/email-verifications').set('X-Forwarded-For', freshAddress()).send({ token: mail.token }),
      401,
      'unauthorized',
    );
  });

  it('an existing email (any case): the same answer, no second identity; the email says "you already have an account"', async () => {
    const email = newEmail();
    const first = await signUpAs(email, 'First');
    const second = await signUpAs(` ${email.toUpperCase()} `.trim(), 'Second', 'another long password');
    expect(second.status).toBe(first.status);
    expect(Object.keys(second.body).sort()).toEqual(Object.keys(first.body).sort());
    expect(Object.keys(second.body.account).sort()).toEqual(Object.keys(first.body.account).sort());
    expect(Object.keys(second.body.apiKey).sort()).toEqual(Object.keys(first.body.apiKey).sort());
    expect((await em().execute('select id from users where lower(email) = ?', [email])).length).toBe(1);
    const mail = await linkSentTo(email, 2);
    expect(mail.subject).toBe('You already have a MassiveSMS account');
    expect(mail.text).toContain('you already have an account with us');
    // Until it is claimed the new account has no holder, so it cannot send.
    const secondId = second.body.account.id as string;
    expect(await em().execute('select user_id from account_memberships where account_id = ?', [secondId])).toEqual([]);
    expectProblem(await sendSms(bearer(second.body.apiKey.key)), 403, 'forbidden');
  });

  it('one identity owning two accounts: the claim link joins the second; sign-in lists both and opens the one named', async () => {
    const email = newEmail();
    const first = await signUpAs(email, 'First');
    const verify = await linkSentTo(email, 1);
    expect(
      (await request(app).post('/v1/holders/email-verifications').set('X-Forwarded-For', freshAddress()).send({ token: verify.token }))
        .status,
    ).toBe(200);
    const second = await signUpAs(email, 'Second', 'a password nobody keeps');
    const claim = await linkSentTo(email, 2);
    const claimed = await request(app)
      .post('/v1/holders/account-claims')
      .set('X-Forwarded-For', freshAddress())
      .send({ token: claim.token });
    expect(claimed.body).toEqual({ accountId: second.body.account.id, verified: true });
    const signIn = (accountId?: string) =>
      request(app)
        .post('/v1/sessions')
        .set('X-Forwarded-For', freshAddress())
        .send({ email, password: PASSWORD, ...(accountId ? { accountId } : {}) });
    const newest = await signIn();
    expect(newest.status).toBe(201);
    expect(newest.body.accountId).toBe(second.body.account.id);
    expect(newest.body.accounts).toEqual([
      { id: second.body.account.id, name: 'Second', role: 'owner' },
      { id: first.body.account.id, name: 'First', role: 'owner' },
    ]);
    const chosen = await signIn(first.body.account.id);
    expect(chosen.body.accountId).toBe(first.body.account.id);
    const cookie = String(chosen.headers['set-cookie']).split(';')[0]!;
    expect((await request(app).get('/v1/account').set('Cookie', cookie)).body.id).toBe(first.body.account.id);
    // The claim's own password was not kept: the identity was already verified, so already someone's.
    expectProblem(
      await request(app).post('/v1/sessions').set('X-Forwarded-For', freshAddress()).send({ email, password: 'a password nobody keeps' }),
      401,
      'unauthorized',
    );
  });

  it('bad input on the link endpoints: 422 for a missing or oversized token or extra fields, 401 for an unknown one', async () => {
    for (const path of ['/v1/holders/email-verifications', '/v1/holders/account-claims']) {
      expectProblem(await request(app).post(path).send({}), 422);
      expectProblem(
        await request(app)
          .post(path)
          .send({ token: 'x'.repeat(101) }),
        422,
      );
      expectProblem(
        await request(app)
          .post(path)
          .send({ token: `mse_${'a'.repeat(43)}`, extra: 1 }),
        422,
      );
      expectProblem(await request(app).post(path).set('Content-Type', 'application/json').send('{"token":'), 400);
      expectProblem(
        await request(app)
          .post(path)
          .set('X-Forwarded-For', freshAddress())
          .send({ token: `mse_${'a'.repeat(43)}` }),
        401,
      );
      expectProblem(await request(app).post(path).set('X-Forwarded-For', freshAddress()).send({ token: 'nope' }), 401);
    }
  });
});
