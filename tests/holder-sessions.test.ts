import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLDER_SECURITY_SCHEME } from '../api/http/define-route';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';
import { documentedOperations } from './support/routes';

let h: Harness;
let app: Express;
const em = () => h.deps.orm.em.fork();
const PASSWORD = 'correct horse battery staple';
const COOKIE = '__Host-mss_session';
const ORIGIN = 'http://127.0.0.1:3000';
const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin', Origin: ORIGIN };

beforeAll(async () => {
  h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  app = h.app;
});
afterAll(() => h?.close());

interface Holder {
  email: string;
  accountId: string;
  apiKey: string;
}

async function newHolder(): Promise<Holder> {
  const email = `holder-${randomBytes(6).toString('hex')}@example.com`;
  const res = await request(app)
    .post('/v1/accounts')
    .set('X-Forwarded-For', freshAddress())
    .send({ accountName: 'Shop', email, password: PASSWORD });
  expect(res.status).toBe(201);
  return { email, accountId: res.body.account.id, apiKey: res.body.apiKey.key };
}

/** Signs in and returns the cookie pair ("name=value") and the raw Set-Cookie line. */
async function signIn(holder: Holder, headers: Record<string, string> = {}) {
  const res = await request(app)
    .post('/v1/sessions')
    .set('X-Forwarded-For', headers['X-Forwarded-For'] ?? freshAddress())
    .set('User-Agent', headers['User-Agent'] ?? 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')
    .send({ email: holder.email, password: PASSWORD });
  expect(res.status).toBe(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  expect(setCookie).toHaveLength(1);
  const line = setCookie[0]!;
  return { cookie: line.split(';')[0]!, line, body: res.body };
}

describe('the holder session cookie', () => {
  it('sign-in sets __Host-mss_session: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, 7 days; the token is not in the answer', async () => {
    const holder = await newHolder();
    const { line, cookie, body } = await signIn(holder);
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    expect(pair).toMatch(new RegExp(`^${COOKIE}=mhs_[A-Za-z0-9_-]{43}$`));
    expect(attributes.map((a) => a.toLowerCase().split('=')[0]).sort()).toEqual([
      'expires',
      'httponly',
      'max-age',
      'path',
      'samesite',
      'secure',
    ]);
    expect(attributes).toContain('Max-Age=604800');
    expect(attributes).toContain('Path=/');
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('Secure');
    expect(attributes).toContain('SameSite=Lax');
    expect(JSON.stringify(body)).not.toContain(cookie.split('=')[1]);
    expect(body).toMatchObject({
      accountId: holder.accountId,
      role: 'owner',
      accounts: [{ id: holder.accountId, name: 'Shop', role: 'owner' }],
    });
  });

  it('stores only a SHA-256 of the token; 12 h from the last use, 7 days at most; each sign-in a new token', async () => {
    const holder = await newHolder();
    const first = await signIn(holder);
    const second = await signIn(holder);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await request(app).get('/v1/account').set('Cookie', first.cookie)).status).toBe(200);
    const rows = await em().execute<{ token_hash: Buffer; idle: string; absolute: string }[]>(
      `select token_hash, extract(epoch from expires_at - last_seen_at)::text as idle, extract(epoch from absolute_expires_at - created_at)::text as absolute
         from sessions where account_id = ? and kind = 'cookie'`,
      [holder.accountId],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(Number(r.idle)).toBe(12 * 3600);
      expect(Number(r.absolute)).toBe(7 * 24 * 3600);
      expect(Buffer.from(r.token_hash).toString('utf8')).not.toContain('mhs_');
    }
    // Idle past 12 hours, or older than 7 days: refused.
    await em().execute(`update sessions set expires_at = now() - interval '1 second' where account_id = ? and kind = 'cookie'`, [
      holder.accountId,
    ]);
    expectProblem(await request(app).get('/v1/account').set('Cookie', first.cookie), 401, 'unauthorized');
    const third = await signIn(holder);
    await em().execute(`update sessions set absolute_expires_at = now() - interval '1 second' where account_id = ? and kind = 'cookie'`, [
      holder.accountId,
    ]);
    expectProblem(await request(app).get('/v1/account').set('Cookie', third.cookie), 401, 'unauthorized');
  });

  it("carries the membership role's rights: an owner has admin rights, a developer reads and writes but cannot manage keys", async () => {
    const holder = await newHolder();
    const { cookie } = await signIn(holder);
    const created = await request(app).post('/v1/api-keys').set('Cookie', cookie).set(SAME_ORIGIN).send({ name: 'from the browser' });
    expect(created.status).toBe(201);
    const [audit] = await em().execute<{ actor_type: string }[]>(
      `select actor_type from audit_log where account_id = ? and action = 'api_key.created' order by seq desc limit 1`,
      [holder.accountId],
    );
    expect(audit!.actor_type).toBe('user');
    await em().execute(`update account_memberships set role = 'developer' where account_id = ?`, [holder.accountId]);
    const read = await request(app).get('/v1/contacts').set('Cookie', cookie);
    expect(read.status).toBe(200);
    // The role changed: this answer rotated the token (tests/holder-members.test.ts), and the new one carries the developer's rights.
    const rotated = String(read.headers['set-cookie']).split(';')[0]!;
    expect(rotated).not.toBe(cookie);
    const refused = await request(app).post('/v1/api-keys').set('Cookie', rotated).set(SAME_ORIGIN).send({ name: 'no' });
    expectProblem(refused, 403, 'forbidden');
    expect(refused.body.detail).toBe('your role in this account (developer) does not allow this; it needs owner or admin');
    await em().execute(`delete from account_memberships where account_id = ?`, [holder.accountId]);
    expectProblem(
      await request(app).get('/v1/contacts').set('X-Forwarded-For', freshAddress()).set('Cookie', rotated),
      401,
      'unauthorized',
    );
  });
});

describe('CSRF: every cookie-authenticated change must come from our origin', () => {
  it('the matrix from the route declarations: cross-site, other origin, and no browser headers are 403; same-origin passes the check', async () => {
    const holder = await newHolder();
    const { cookie } = await signIn(holder);
    const ops = (await documentedOperations(app)).filter(
      (op) => op.method !== 'GET' && (op.security ?? []).some((s) => HOLDER_SECURITY_SCHEME in s),
    );
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.map((op) => `${op.method} ${op.path}`)).toEqual(
      expect.arrayContaining(['DELETE /v1/sessions', 'DELETE /v1/auth/google', 'POST /v1/api-keys', 'POST /v1/messages']),
    );
    const refusals: string[] = [];
    for (const op of ops) {
      const path = op.path.replace(/\{[^}]+\}/g, '00000000-0000-7000-8000-000000000000');
      for (const headers of [
        { 'Sec-Fetch-Site': 'cross-site' },
        { 'Sec-Fetch-Site': 'same-site' },
        { Origin: 'https://evil.example' },
        {},
      ]) {
        const res = await request(app)[op.method.toLowerCase() as 'post'](path).set('Cookie', cookie).set(headers).send({});
        if (res.status !== 403 || !String(res.body.detail).startsWith('a cookie-authenticated change must come from this site')) {
          refusals.push(`${op.method} ${op.path} ${JSON.stringify(headers)} -> ${res.status}`);
        }
      }
    }
    expect(refusals).toEqual([]);
    // The same cookie from our own origin is let through the check (and meets the route's own validation).
    const same = await request(app).post('/v1/api-keys').set('Cookie', cookie).set(SAME_ORIGIN).send({});
    expectProblem(same, 422);
    // Reads need no origin.
    expect((await request(app).get('/v1/sessions').set('Cookie', cookie)).status).toBe(200);
  });
});

describe("the holder's sessions", () => {
  it("lists created, last seen, UA family and a /24, marks the current one, and never shows another holder's", async () => {
    const holder = await newHolder();
    const other = await newHolder();
    const mine = await signIn(holder, { 'X-Forwarded-For': '203.0.113.77', 'User-Agent': 'curl/8.5.0' });
    await signIn(other);
    const listed = await request(app).get('/v1/sessions').set('Cookie', mine.cookie);
    expect(listed.status).toBe(200);
    const cookieRows = listed.body.data.filter((s: { kind: string }) => s.kind === 'cookie');
    expect(cookieRows).toEqual([
      {
        id: expect.any(String),
        accountId: holder.accountId,
        kind: 'cookie',
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        expiresAt: expect.any(String),
        userAgentFamily: 'curl',
        addressPrefix: '203.0.113.0/24',
        current: true,
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('203.0.113.77');
    expect(listed.body.data.every((s: { accountId: string }) => s.accountId === holder.accountId)).toBe(true);
  });

  it("revoking one takes effect at once; another holder's id is 404; revoke-all and sign-out end the rest", async () => {
    const holder = await newHolder();
    const other = await newHolder();
    const a = await signIn(holder);
    const b = await signIn(holder);
    const c = await signIn(holder);
    const otherSession = await signIn(other);
    const list = (cookie: string) => request(app).get('/v1/sessions').set('Cookie', cookie);
    const idOf = async (cookie: string) =>
      ((await list(cookie)).body.data as { id: string; current: boolean }[]).find((s) => s.current)!.id;
    const bId = await idOf(b.cookie);
    const otherId = await idOf(otherSession.cookie);
    expectProblem(await request(app).delete(`/v1/sessions/${otherId}`).set('Cookie', a.cookie).set(SAME_ORIGIN), 404, 'not_found');
    expect((await list(otherSession.cookie)).status).toBe(200);
    expect((await request(app).delete(`/v1/sessions/${bId}`).set('Cookie', a.cookie).set(SAME_ORIGIN)).body).toEqual({ revoked: 1 });
    expectProblem(await list(b.cookie), 401, 'unauthorized');
    const signOut = await request(app).post('/v1/sessions/sign-out').set('Cookie', c.cookie).set(SAME_ORIGIN);
    expect(signOut.status).toBe(200);
    expect(String(signOut.headers['set-cookie'])).toContain(`${COOKIE}=;`);
    expectProblem(await list(c.cookie), 401, 'unauthorized');
    expect((await list(a.cookie)).status).toBe(200);
    const all = await request(app).delete('/v1/sessions').set('Cookie', a.cookie).set(SAME_ORIGIN);
    expect(all.status).toBe(200);
    expectProblem(await list(a.cookie), 401, 'unauthorized');
    expect((await list(otherSession.cookie)).status).toBe(200);
  });

  it('bad input and bad credentials: 422 for a malformed id, 401 without a cookie or with an API key, 401 for a forged cookie', async () => {
    const holder = await newHolder();
    const { cookie } = await signIn(holder);
    expectProblem(await request(app).delete('/v1/sessions/not-a-uuid').set('Cookie', cookie).set(SAME_ORIGIN), 422);
    expectProblem(await request(app).get('/v1/sessions'), 401, 'unauthorized');
    expectProblem(await request(app).get('/v1/sessions').set('Authorization', `Bearer ${holder.apiKey}`), 401, 'unauthorized');
    expectProblem(
      await request(app)
        .get('/v1/sessions')
        .set('X-Forwarded-For', freshAddress())
        .set('Cookie', `${COOKIE}=mhs_${'a'.repeat(43)}`),
      401,
      'unauthorized',
    );
    expectProblem(await request(app).post('/v1/sessions/sign-out').set('Cookie', cookie).set(SAME_ORIGIN).send({ extra: 1 }), 422);
  });
});
