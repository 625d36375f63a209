import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import pg from 'pg';
import { expect, inject } from 'vitest';
import type { Harness } from './harness';
import type { SimulatorControl } from '../../simulator/control-client';
import { markOwnerVerifiedIn } from './owner-verification';
import { waitFor } from './webhook-receiver';

export const HOLDER_PASSWORD = 'correct horse battery staple';

export interface TestHolder {
  accountId: string;
  userId: string;
  email: string;
  apiKey: { Authorization: string };
  /** The holder's session cookie (set by POST /v1/sessions), sent as a same-origin browser would. */
  session: Record<string, string>;
}

/** Each public call from its own documentation address, so no file meets the per-address limits. */
let publicCalls = 0;
export const publicAddress = () => ({ 'X-Forwarded-For': `192.0.2.${(publicCalls++ % 250) + 1}` });

/** Signs up through the public API and signs the holder in. */
export async function signUpHolder(h: Harness, name = 'Holder Co'): Promise<TestHolder> {
  const app: Express = h.app;
  const email = `holder-${randomBytes(6).toString('hex')}@example.com`;
  const signedUp = await request(app)
    .post('/v1/accounts')
    .set(publicAddress())
    .send({ accountName: name, email, password: HOLDER_PASSWORD });
  expect(signedUp.status, JSON.stringify(signedUp.body)).toBe(201);
  const signedIn = await request(app).post('/v1/sessions').set(publicAddress()).send({ email, password: HOLDER_PASSWORD });
  expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(201);
  return {
    accountId: signedUp.body.account.id,
    userId: await holderUserId(h, email),
    email,
    apiKey: { Authorization: `Bearer ${signedUp.body.apiKey.key}` },
    session: holderCookieHeaders(signedIn.headers['set-cookie']),
  };
}

/** The session cookie of a sign-in's Set-Cookie, with the Fetch Metadata a same-origin page sends (the CSRF check). */
export function holderCookieHeaders(setCookie: string | string[] | undefined): Record<string, string> {
  const lines = ([] as string[]).concat(setCookie ?? []);
  expect(lines).toHaveLength(1);
  return { Cookie: lines[0]!.split(';')[0]!, 'Sec-Fetch-Site': 'same-origin' };
}

/** The holder's identity id (users.id), which consents and analytics are keyed by. */
export async function holderUserId(h: Harness, email: string): Promise<string> {
  const { rows } = await h.deps.pgPool.query<{ id: string }>('select id from users where email = $1', [email]);
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

/** Sets the profile country straight in the database (what PATCH /v1/account/profile stores). */
export async function setCountry(h: Harness, userId: string, country: string | null): Promise<void> {
  await h.deps.pgPool.query(
    `insert into holder_profiles (user_id, country, updated_at) values ($1, $2, now())
     on conflict (user_id) do update set country = excluded.country, updated_at = excluded.updated_at`,
    [userId, country],
  );
}

let pool: pg.Pool | undefined;

/** Marks the account's owner verified (see markOwnerVerifiedIn) through the run's database. */
export async function markOwnerVerified(accountId: string): Promise<void> {
  pool ??= new pg.Pool({ connectionString: inject('databaseUrl'), max: 1, idleTimeoutMillis: 1_000, allowExitOnIdle: true });
  await markOwnerVerifiedIn(pool, accountId);
}

/**
 * The one-time token of the `count`-th email to `to` with this subject, once it has arrived (the
 * links of public requests leave after the answer); the email's text beside it.
 */
export async function emailedToken(
  control: SimulatorControl,
  to: string,
  subject: string,
  count = 1,
): Promise<{ token: string; text: string }> {
  const mails = await waitFor(async () => {
    const found = (await control.emails(to)).filter((e) => e.subject === subject);
    return found.length >= count ? found : undefined;
  }, `email "${subject}" #${count}`);
  expect(mails).toHaveLength(count);
  const text = mails.at(-1)!.text ?? '';
  const token = /mse_[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  expect(token).toBeDefined();
  return { token: token!, text };
}

/** Signs in with email and password (optionally naming the account): the session cookie headers. */
export async function signInHolder(h: Harness, email: string, password = HOLDER_PASSWORD, accountId?: string) {
  const res = await request(h.app)
    .post('/v1/sessions')
    .set(publicAddress())
    .send({ email, password, ...(accountId ? { accountId } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return holderCookieHeaders(res.headers['set-cookie']);
}

/** A fixture shortcut: makes the identity a member of the account with this role (invitations prove the real path). */
export async function addMemberDirectly(h: Harness, accountId: string, userId: string, role: string): Promise<void> {
  await h.deps.pgPool.query(
    `insert into account_memberships (user_id, account_id, role, created_at, verified_at) values ($1, $2, $3, now(), now())`,
    [userId, accountId, role],
  );
}
