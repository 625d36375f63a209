import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOidcIssuer } from '../simulator/oidc-issuer';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { columnsHolding } from './support/database-scan';
import { callback, googleSignIn, sessionCookieOf, startLocalIssuer, throughIssuer } from './support/google-sign-in';
import { startHarness, type Harness } from './support/harness';
import { HOLDER_PASSWORD, signUpHolder } from './support/holders';

let h: Harness;
let issuer: LocalOidcIssuer;
let issuerUrl: string;

beforeAll(async () => {
  const local = await startLocalIssuer();
  issuer = local.issuer;
  issuerUrl = local.env.GOOGLE_OIDC_ISSUER!;
  h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '100000', ...local.env } });
});
afterAll(async () => {
  await h?.close();
  await issuer?.stop();
});

const newEmail = () => `google-${randomBytes(6).toString('hex')}@example.com`;
const query = <T>(sql: string, params: unknown[]) => h.deps.pgPool.query(sql, params).then((r) => r.rows as T[]);
const identitiesOf = (email: string) =>
  query<{ issuer: string; subject: string; user_id: string }>(
    'select i.issuer, i.subject, i.user_id from holder_oidc_identities i join users u on u.id = i.user_id where u.email = $1',
    [email],
  );
const usersWith = (email: string) =>
  query<{ id: string; password_hash: string | null; email_verified_at: Date | null }>(
    'select id, password_hash, email_verified_at from users where lower(email) = lower($1)',
    [email],
  );
const attributesOf = (line: string) => line.split(';').map((s) => s.trim());
const setCookies = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
const sessionSet = (res: request.Response) =>
  setCookies(res).some((l) => l.startsWith('__Host-mss_session=') && !l.includes('Expires=Thu, 01 Jan 1970'));

describe('Google sign-in: the good path', () => {
  it('start redirects with code + PKCE S256, state and nonce, and a signed 10-minute __Host- flow cookie', async () => {
    const flow = await throughIssuer(h.app, { email: newEmail() });
    expect(`${flow.authorize.origin}${flow.authorize.pathname}`).toBe(`${issuerUrl}/authorize`);
    const params = Object.fromEntries(flow.authorize.searchParams);
    expect(Object.keys(params).sort()).toEqual(
      [
        'client_id',
        'code_challenge',
        'code_challenge_method',
        'login_hint',
        'nonce',
        'redirect_uri',
        'response_type',
        'scope',
        'state',
      ].sort(),
    );
    expect(params).toMatchObject({
      client_id: 'massivesms-test',
      response_type: 'code',
      code_challenge_method: 'S256',
      redirect_uri: 'http://127.0.0.1:3000/v1/auth/google/callback',
      scope: 'openid email',
    });
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [pair, ...attributes] = attributesOf(flow.flowLine);
    expect(pair).toMatch(/^__Host-mss_oidc=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['Max-Age=600', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']));
    expect(attributes.some((a) => a.toLowerCase().startsWith('domain'))).toBe(false);
    // Only a digest of the state is stored: neither it nor the PKCE verifier nor the nonce is in the database.
    const state = Buffer.from(params.state!);
    expect(await columnsHolding(h.deps.pgPool, [state, Buffer.from(params.nonce!)])).toEqual([]);
  });

  it('a new verified email signs up like POST /v1/accounts (email verified, no password), then signing in again is the same holder', async () => {
    const email = newEmail();
    const issuedBefore = issuer.issuedTokens.length;
    const first = await googleSignIn(h.app, email, 'Google Shop');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toMatchObject({
      outcome: 'signed_up',
      account: { name: 'Google Shop', status: 'active' },
      apiKey: { key: expect.stringMatching(/^msk_/), scopes: ['read', 'write', 'admin'] },
      role: 'owner',
      accounts: [{ id: first.body.account.id, name: 'Google Shop', role: 'owner' }],
    });
    expect(first.body.accountId).toBe(first.body.account.id);
    // The session cookie: the same one password sign-in sets.
    const line = setCookies(first).find((l) => l.startsWith('__Host-mss_session='))!;
    const [pair, ...attributes] = attributesOf(line);
    expect(pair).toMatch(/^__Host-mss_session=mhs_[A-Za-z0-9_-]{43}$/);
    expect(attributes.map((a) => a.toLowerCase().split('=')[0]).sort()).toEqual([
      'expires',
      'httponly',
      'max-age',
      'path',
      'samesite',
      'secure',
    ]);
    expect(attributes).toEqual(expect.arrayContaining(['Max-Age=604800', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']));
    // The flow cookie is cleared.
    expect(setCookies(first).find((l) => l.startsWith('__Host-mss_oidc='))).toContain('Expires=Thu, 01 Jan 1970');

    const [user] = await usersWith(email);
    expect(user).toMatchObject({ password_hash: null, email_verified_at: expect.any(Date) });
    const identities = await identitiesOf(email);
    expect(identities).toEqual([{ issuer: issuerUrl, subject: issuer.userFor(email).sub, user_id: user!.id }]);
    const [membership] = await query<{ role: string; verified_at: Date | null }>(
      'select role, verified_at from account_memberships where user_id = $1 and account_id = $2',
      [user!.id, first.body.account.id],
    );
    expect(membership).toEqual({ role: 'owner', verified_at: expect.any(Date) });

    const cookie = sessionCookieOf(first);
    const sessions = await request(h.app).get('/v1/sessions').set(cookie);
    expect(sessions.status).toBe(200);
    expect(sessions.body.data.filter((s: { kind: string }) => s.kind === 'cookie')).toHaveLength(1);

    const again = await googleSignIn(h.app, email);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'signed_in', accountId: first.body.account.id, role: 'owner' });
    expect(again.body.apiKey).toBeUndefined();
    expect(sessionCookieOf(again).Cookie).not.toBe(cookie.Cookie);
    expect(await usersWith(email)).toHaveLength(1);
    expect((await request(h.app).get('/v1/account/profile').set(sessionCookieOf(again))).body.email).toBe(email);
    // The holder's own export shows the linked identity.
    const exported = await request(h.app).get('/v1/account/personal-data').set(sessionCookieOf(again));
    expect(exported.status).toBe(200);
    expect(exported.body.linkedSignIns).toEqual([
      {
        provider: 'google',
        issuer: issuerUrl,
        subject: issuer.userFor(email).sub,
        linkedAt: expect.any(String),
        lastSignInAt: expect.any(String),
      },
    ]);

    // Google's tokens were read and dropped: none of them is stored anywhere.
    const handedOut = issuer.issuedTokens.slice(issuedBefore);
    expect(handedOut).toHaveLength(6);
    expect(
      await columnsHolding(
        h.deps.pgPool,
        handedOut.map((t) => Buffer.from(t)),
      ),
    ).toEqual([]);
    expect(await textColumnsContaining(handedOut.flatMap((t) => t.split('.').filter((part) => part.length > 20)))).toEqual([]);
  });
});

/** Text columns holding any of `needles` as plain text (columnsHolding looks for hex and base64 forms). */
async function textColumnsContaining(needles: string[]): Promise<string[]> {
  const columns = await query<{ table_name: string; column_name: string }>(
    `select c.table_name, c.column_name from information_schema.columns c join information_schema.tables t
       on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
       join pg_class pc on pc.relname = c.table_name and pc.relnamespace = 'public'::regnamespace and not pc.relispartition
      where c.table_schema = 'public' and c.data_type in ('text', 'jsonb', 'json', 'character varying')`,
    [],
  );
  const hits: string[] = [];
  for (const c of columns) {
    const [row] = await query<{ n: number }>(
      `select count(*)::int as n from "${c.table_name}" where "${c.column_name}"::text like any ($1::text[])`,
      [needles.map((n) => `%${n}%`)],
    );
    if (row!.n > 0) hits.push(`${c.table_name}.${c.column_name}`);
  }
  return hits;
}

describe('Google sign-in: what is refused', () => {
  it('a wrong state is refused by the library (401), no session, nobody signed up', async () => {
    const email = newEmail();
    const flow = await throughIssuer(h.app, { email });
    const forged = flow.callbackPath.replace(/state=[^&]+/, 'state=forged-state-value');
    const res = await callback(h.app, forged, flow.flowCookie);
    expectProblem(res, 401, 'unauthorized');
    expect(sessionSet(res)).toBe(false);
    expect(await usersWith(email)).toEqual([]);
  });

  it('without the flow cookie, or with a tampered one, the callback is refused before the code is used', async () => {
    const email = newEmail();
    const flow = await throughIssuer(h.app, { email });
    expectProblem(await callback(h.app, flow.callbackPath, null), 401, 'unauthorized');
    const tampered = flow.flowCookie.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expectProblem(await callback(h.app, flow.callbackPath, tampered), 401, 'unauthorized');
    // The code was never spent: the real flow still completes.
    expect((await callback(h.app, flow.callbackPath, flow.flowCookie)).status).toBe(201);
  });

  it('a replayed code is refused: the same callback again (401), and the code in a fresh flow (the issuer refuses it)', async () => {
    const email = newEmail();
    const flow = await throughIssuer(h.app, { email });
    expect((await callback(h.app, flow.callbackPath, flow.flowCookie)).status).toBe(201);
    const replay = await callback(h.app, flow.callbackPath, flow.flowCookie);
    expectProblem(replay, 401, 'unauthorized');
    // Refused by us (the flow is used) before the code reaches the issuer again.
    expect(replay.body.detail).toBe('the Google sign-in is unknown, expired or already used; start again at GET /v1/auth/google/start');
    expect(sessionSet(replay)).toBe(false);

    const fresh = await throughIssuer(h.app, { email: newEmail() });
    const oldCode = flow.back.searchParams.get('code')!;
    const injected = fresh.callbackPath.replace(/code=[^&]+/, `code=${oldCode}`);
    const res = await callback(h.app, injected, fresh.flowCookie);
    expectProblem(res, 401, 'unauthorized');
    expect(res.body.detail).toBe('Google sign-in was refused: the answer did not pass the OpenID Connect checks; start again');
    expect(sessionSet(res)).toBe(false);
  });

  it('an ID token with another nonce is refused (401), nobody signed up', async () => {
    const email = newEmail();
    const flow = await throughIssuer(h.app, { email });
    issuer.tamperNextIdToken = (claims) => {
      claims.nonce = 'not-the-nonce-we-sent';
    };
    const res = await callback(h.app, flow.callbackPath, flow.flowCookie);
    expectProblem(res, 401, 'unauthorized');
    expect(res.body.detail).toBe('Google sign-in was refused: the answer did not pass the OpenID Connect checks; start again');
    expect(await usersWith(email)).toEqual([]);
  });

  it('an ID token for another client (aud) is refused', async () => {
    const email = newEmail();
    const flow = await throughIssuer(h.app, { email });
    issuer.tamperNextIdToken = (claims) => {
      claims.aud = 'someone-else';
    };
    expectProblem(await callback(h.app, flow.callbackPath, flow.flowCookie), 401, 'unauthorized');
    expect(await usersWith(email)).toEqual([]);
  });

  it('an email Google does not vouch for (email_verified false) is refused with a clear problem', async () => {
    const email = newEmail();
    issuer.setUser({ sub: `unverified-${email}`, email, emailVerified: false });
    const res = await googleSignIn(h.app, email);
    expectProblem(res, 403, 'forbidden');
    expect(res.body.detail).toBe(
      'Google does not vouch for this email (email_verified is not true): verify it with Google, or sign up with email and password',
    );
    expect(sessionSet(res)).toBe(false);
    expect(await usersWith(email)).toEqual([]);
  });
});

describe('Google sign-in for an email that already has a holder: no takeover by email match', () => {
  it('asks for the password (202, no session); a wrong one links nothing; the right one links once and signs in', async () => {
    const holder = await signUpHolder(h, 'Password Co');
    const [before] = await usersWith(holder.email);
    const pending = await googleSignIn(h.app, holder.email);
    expect(pending.status, JSON.stringify(pending.body)).toBe(202);
    expect(pending.body).toEqual({
      outcome: 'link_required',
      linkToken: expect.stringMatching(/^msl_[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      detail: expect.stringContaining('POST /v1/auth/google/link'),
    });
    expect(Date.parse(pending.body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(Date.parse(pending.body.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(sessionSet(pending)).toBe(false);
    expect(await identitiesOf(holder.email)).toEqual([]);
    // Nothing changed about the holder, and no second identity or account appeared.
    expect(await usersWith(holder.email)).toEqual([before]);
    const linkToken = pending.body.linkToken as string;
    expect(await columnsHolding(h.deps.pgPool, [Buffer.from(linkToken)])).toEqual([]);

    const address = freshAddress();
    const wrong = await request(h.app)
      .post('/v1/auth/google/link')
      .set('X-Forwarded-For', address)
      .send({ linkToken, password: 'not the password' });
    expectProblem(wrong, 401, 'unauthorized');
    expect(sessionSet(wrong)).toBe(false);
    expect(await identitiesOf(holder.email)).toEqual([]);
    // Signing in with Google again still does not get in.
    expect((await googleSignIn(h.app, holder.email)).status).toBe(202);

    const right = await request(h.app)
      .post('/v1/auth/google/link')
      .set('X-Forwarded-For', address)
      .send({ linkToken, password: HOLDER_PASSWORD });
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    expect(right.body).toMatchObject({ outcome: 'signed_in', accountId: holder.accountId, role: 'owner' });
    expect(await identitiesOf(holder.email)).toEqual([
      { issuer: issuerUrl, subject: issuer.userFor(holder.email).sub, user_id: holder.userId },
    ]);
    expect((await request(h.app).get('/v1/sessions').set(sessionCookieOf(right))).status).toBe(200);
    // Single use.
    expectProblem(
      await request(h.app)
        .post('/v1/auth/google/link')
        .set('X-Forwarded-For', freshAddress())
        .send({ linkToken, password: HOLDER_PASSWORD }),
      401,
      'unauthorized',
    );
    // From now on Google signs the holder straight in.
    const again = await googleSignIn(h.app, holder.email);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'signed_in', accountId: holder.accountId });
  });

  it('an unknown or malformed link token is 401; bad bodies are 422', async () => {
    const post = (body: unknown) =>
      request(h.app)
        .post('/v1/auth/google/link')
        .set('X-Forwarded-For', freshAddress())
        .send(body as object);
    expectProblem(await post({ linkToken: `msl_${'A'.repeat(43)}`, password: 'x' }), 401, 'unauthorized');
    expectProblem(await post({ linkToken: 'nope', password: 'x' }), 401, 'unauthorized');
    expectProblem(await post({ linkToken: 'x'.repeat(101), password: 'x' }), 422);
    expectProblem(await post({ linkToken: 'msl_x' }), 422);
    expectProblem(await post({ linkToken: 'msl_x', password: 'x', extra: 1 }), 422);
  });
});

describe('unlinking Google', () => {
  it('refused for a holder with no password (no way left to sign in); allowed with one, after which Google must link again', async () => {
    const googleOnly = newEmail();
    const signedUp = await googleSignIn(h.app, googleOnly);
    expect(signedUp.status).toBe(201);
    const refused = await request(h.app).delete('/v1/auth/google').set(sessionCookieOf(signedUp));
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.detail).toBe('this holder has no password: unlinking Google would leave no way to sign in; set a password first');
    expect(await identitiesOf(googleOnly)).toHaveLength(1);

    const holder = await signUpHolder(h, 'Unlink Co');
    const pending = await googleSignIn(h.app, holder.email);
    const linked = await request(h.app)
      .post('/v1/auth/google/link')
      .set('X-Forwarded-For', freshAddress())
      .send({ linkToken: pending.body.linkToken, password: HOLDER_PASSWORD });
    expect(linked.status).toBe(200);
    const cookie = sessionCookieOf(linked);
    const unlinked = await request(h.app).delete('/v1/auth/google').set(cookie);
    expect(unlinked.status, JSON.stringify(unlinked.body)).toBe(200);
    expect(unlinked.body).toEqual({ unlinked: true });
    expect(await identitiesOf(holder.email)).toEqual([]);
    expectProblem(await request(h.app).delete('/v1/auth/google').set(cookie), 404, 'not_found');
    expect((await googleSignIn(h.app, holder.email)).status).toBe(202);
    // The password still signs in.
    expect(
      (
        await request(h.app)
          .post('/v1/sessions')
          .set('X-Forwarded-For', freshAddress())
          .send({ email: holder.email, password: HOLDER_PASSWORD })
      ).status,
    ).toBe(201);
  });

  it('needs the session cookie from our own origin: an API key is 401, a cross-site request 403', async () => {
    const holder = await signUpHolder(h, 'Csrf Co');
    expectProblem(await request(h.app).delete('/v1/auth/google').set(holder.apiKey), 401, 'unauthorized');
    expectProblem(
      await request(h.app)
        .delete('/v1/auth/google')
        .set({ ...holder.session, 'Sec-Fetch-Site': 'cross-site' }),
      403,
      'forbidden',
    );
  });
});

describe('bad input', () => {
  it('start and callback validate their queries (422), never 5xx', async () => {
    const get = (path: string) => request(h.app).get(path).set('X-Forwarded-For', freshAddress());
    expectProblem(await get(`/v1/auth/google/start?accountName=${'x'.repeat(201)}`), 422);
    expectProblem(await get('/v1/auth/google/start?loginHint=not-an-email'), 422);
    expectProblem(await get('/v1/auth/google/start?other=1'), 422);
    expectProblem(await get(`/v1/auth/google/callback?code=${'c'.repeat(513)}&state=s`), 422);
    expectProblem(await get(`/v1/auth/google/callback?code=c&state=${encodeURIComponent('\u00e9\u00e9')}`), 422);
    expectProblem(await get('/v1/auth/google/callback?code=c&state=s&unknown=1'), 422);
    // Well-formed but from no flow of ours.
    expectProblem(await get('/v1/auth/google/callback?code=c&state=s'), 401, 'unauthorized');
    expectProblem(await get('/v1/auth/google/callback?error=access_denied'), 401, 'unauthorized');
  });
});
