import { createHash, randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { dummyArgon2Hash, verifySecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { MAX_ACTIVE_API_KEYS } from '../services/api-keys';
import { ADDRESS_SUBJECT_FAILURES, AuthLimits, SUBJECT_FAILURES_ALERT } from '../services/auth/auth-limits';
import { SecurityAlerts } from '../services/auth/security-alerts';
import { SESSION_TTL_MS, SessionService } from '../services/auth/sessions';
import { expectProblem } from './support/accounts';
import { freshAddress } from './support/addresses';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let app: Express;
const PASSWORD = 'correct horse battery staple';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const newEmail = () => `holder-${randomBytes(6).toString('hex')}@example.com`;

interface Holder {
  accountId: string;
  email: string;
  key: string;
  keyId: string;
  auth: { Authorization: string };
}

async function signUpAs(email = newEmail(), password = PASSWORD): Promise<Holder & { res: request.Response }> {
  const res = await request(app).post('/v1/accounts').send({ accountName: 'Holder', email, password });
  expect(res.status).toBe(201);
  return {
    res,
    email,
    accountId: res.body.account.id,
    key: res.body.apiKey.key,
    keyId: res.body.apiKey.id,
    auth: bearer(res.body.apiKey.key),
  };
}

const createKey = (auth: Record<string, string>, body: object) => request(app).post('/v1/api-keys').set(auth).send(body);
const signIn = (body: object, address = freshAddress()) => request(app).post('/v1/sessions').set('X-Forwarded-For', address).send(body);

/** Every key path of a JSON value with the type of its leaf: what the answer looks like, not what it says. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return value === null ? 'null' : typeof value;
}

beforeAll(async () => {
  h = await startHarness();
  app = h.app;
});
afterAll(() => h.close());

describe('admin scope', () => {
  it("sign-up's first key is admin; only admin keys create or revoke keys", async () => {
    const holder = await signUpAs();
    expect(holder.res.body.apiKey.scopes).toEqual(['read', 'write', 'admin']);
    const writer = await createKey(holder.auth, { name: 'writer', scopes: ['read', 'write'] });
    expect(writer.status).toBe(201);
    const writerAuth = bearer(writer.body.key);

    const minted = await createKey(writerAuth, { name: 'minted by writer', scopes: ['read'] });
    expectProblem(minted, 403, 'forbidden');
    expect(minted.body.detail).toBe('this API key lacks the "admin" scope');
    expectProblem(await request(app).delete(`/v1/api-keys/${holder.keyId}`).set(writerAuth), 403, 'forbidden');
    expectProblem(await request(app).delete(`/v1/api-keys/${writer.body.id}`).set(writerAuth), 403, 'forbidden');
    expect((await request(app).get('/v1/api-keys').set(writerAuth)).status).toBe(200);

    const keys = await request(app).get('/v1/api-keys').set(holder.auth);
    expect(keys.body.data.map((k: { name: string }) => k.name).sort()).toEqual(['default', 'writer']);
  });
});

describe('last admin key', () => {
  it('refuses to revoke the last active admin key (409 saying what to do); the key keeps working', async () => {
    const holder = await signUpAs();
    const writer = await createKey(holder.auth, { name: 'writer', scopes: ['write'] });
    const res = await request(app).delete(`/v1/api-keys/${holder.keyId}`).set(holder.auth);
    expectProblem(res, 409, 'conflict');
    expect(res.body.detail).toBe(
      'this is the account\'s last active admin key; create another key with the "admin" scope first, then revoke this one',
    );
    expect((await request(app).get('/v1/account').set(holder.auth)).status).toBe(200);

    const second = await createKey(holder.auth, { name: 'second admin', scopes: ['admin'] });
    expect((await request(app).delete(`/v1/api-keys/${holder.keyId}`).set(bearer(second.body.key))).status).toBe(200);
    expectProblem(await request(app).delete(`/v1/api-keys/${second.body.id}`).set(bearer(second.body.key)), 409, 'conflict');
    // A non-admin key is never the last admin key.
    expect((await request(app).delete(`/v1/api-keys/${writer.body.id}`).set(bearer(second.body.key))).status).toBe(200);
  });

  it('two concurrent revocations of the last two admin keys: exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const holder = await signUpAs();
      const second = await createKey(holder.auth, { name: 'second admin', scopes: ['read', 'admin'] });
      const secondAuth = bearer(second.body.key);
      // Both keys verified once first, so the two revocations reach the database together.
      expect((await request(app).get('/v1/account').set(secondAuth)).status).toBe(200);
      const [a, b] = await Promise.all([
        request(app).delete(`/v1/api-keys/${second.body.id}`).set(holder.auth),
        request(app).delete(`/v1/api-keys/${holder.keyId}`).set(secondAuth),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const active = await h.deps.orm.em
        .fork()
        .execute<{ n: number }[]>(
          "select count(*)::int as n from api_keys where account_id = ? and revoked_at is null and 'admin' = any (scopes)",
          [holder.accountId],
        );
      expect(active[0]!.n).toBe(1);
    }
  });
});

describe('sign-up', () => {
  it('does not reveal whether an email is registered: a second sign-up with it gets the same kind of answer', async () => {
    const email = newEmail();
    const first = await signUpAs(email);
    const again = await signUpAs(email.toUpperCase(), 'another long password');
    expect(again.res.status).toBe(first.res.status);
    expect(again.res.headers['content-type']).toBe(first.res.headers['content-type']);
    expect(shapeOf(again.res.body)).toEqual(shapeOf(first.res.body));
    expect(again.accountId).not.toBe(first.accountId);
  });
});

describe('sessions (the way back in)', () => {
  it('email and password give a 15-minute session token that can create a key, and nothing but key management', async () => {
    const holder = await signUpAs();
    const session = await signIn({ email: holder.email, password: PASSWORD });
    expect(session.status).toBe(201);
    expect(session.body.accountId).toBe(holder.accountId);
    expect(session.body.token).toMatch(/^mss_[A-Za-z0-9_-]{43}$/);
    const sessionAuth = bearer(session.body.token);

    const em = h.deps.orm.em.fork();
    const [row] = await em.execute<{ id: string; token_hash: Buffer; ttl_ms: number; expires_ms: string }[]>(
      `select id, token_hash, (extract(epoch from expires_at - created_at) * 1000)::int as ttl_ms,
              (extract(epoch from expires_at) * 1000)::bigint::text as expires_ms
         from sessions where account_id = ?`,
      [holder.accountId],
    );
    expect(row!.ttl_ms).toBe(SESSION_TTL_MS);
    expect(row!.token_hash.equals(createHash('sha256').update(session.body.token).digest())).toBe(true);
    expect(new Date(session.body.expiresAt).getTime()).toBe(Number(row!.expires_ms));

    const created = await createKey(sessionAuth, { name: 'recovered', scopes: ['read', 'write', 'admin'] });
    expect(created.status).toBe(201);
    expect((await request(app).get('/v1/account').set(bearer(created.body.key))).body.id).toBe(holder.accountId);
    expect((await request(app).get('/v1/api-keys').set(sessionAuth)).body.data).toHaveLength(2);
    expect((await request(app).delete(`/v1/api-keys/${holder.keyId}`).set(sessionAuth)).status).toBe(200);

    const denied = await request(app).get('/v1/account').set(sessionAuth);
    expectProblem(denied, 403, 'forbidden');
    expect(denied.body.detail).toBe('a session token can only create, list and revoke API keys; call this endpoint with an API key');
    expectProblem(await request(app).get('/v1/contacts').set(sessionAuth), 403, 'forbidden');

    const [user] = await em.execute<{ id: string }[]>(
      'select id from users where id in (select user_id from account_memberships where account_id = ?)',
      [holder.accountId],
    );
    const audit = await em.execute<{ action: string; actor_type: string; actor_id: string; target_id: string }[]>(
      "select action, actor_type, actor_id, target_id from audit_log where account_id = ? and actor_type = 'user' order by seq",
      [holder.accountId],
    );
    expect(audit).toEqual([
      { action: 'session.created', actor_type: 'user', actor_id: user!.id, target_id: row!.id },
      { action: 'api_key.created', actor_type: 'user', actor_id: user!.id, target_id: created.body.id },
      { action: 'api_key.revoked', actor_type: 'user', actor_id: user!.id, target_id: holder.keyId },
    ]);
  });

  it('a live session token is accepted from an address whose bad tokens are already limited (429)', async () => {
    const holder = await signUpAs();
    const address = freshAddress();
    const session = await signIn({ email: holder.email, password: PASSWORD }, address);
    expect(session.status).toBe(201);
    const listKeys = (token: string) => request(app).get('/v1/api-keys').set(bearer(token)).set('X-Forwarded-For', address);
    for (let i = 0; i < 10; i++) expectProblem(await listKeys(`mss_${randomBytes(32).toString('base64url')}`), 401, 'unauthorized');
    expectProblem(await listKeys(`mss_${randomBytes(32).toString('base64url')}`), 429, 'rate_limited');
    const listed = await listKeys(session.body.token);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([holder.keyId]);
  });

  it("a session manages only its own account's keys", async () => {
    const a = await signUpAs();
    const b = await signUpAs();
    const bSession = bearer((await signIn({ email: b.email, password: PASSWORD })).body.token);
    const listed = await request(app).get('/v1/api-keys').set(bSession);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([b.keyId]);
    expectProblem(await request(app).delete(`/v1/api-keys/${a.keyId}`).set(bSession), 404, 'not_found');
    const created = await createKey(bSession, { name: 'b2', scopes: ['read'] });
    expect((await request(app).get('/v1/account').set(bearer(created.body.key))).body.id).toBe(b.accountId);
  });

  it('an expired or unknown session token is 401', async () => {
    const holder = await signUpAs();
    const session = await signIn({ email: holder.email, password: PASSWORD });
    await h.deps.orm.em
      .fork()
      .execute("update sessions set expires_at = now() - interval '1 second' where account_id = ?", [holder.accountId]);
    expectProblem(await request(app).get('/v1/api-keys').set(bearer(session.body.token)), 401, 'unauthorized');
    expectProblem(
      await request(app)
        .get('/v1/api-keys')
        .set(bearer(`mss_${'a'.repeat(43)}`)),
      401,
      'unauthorized',
    );
  });

  it('an unknown email and a wrong password get identical 401s, each for exactly one argon2 verification', async () => {
    const holder = await signUpAs();
    const unknown = await signIn({ email: newEmail(), password: PASSWORD });
    const wrong = await signIn({ email: holder.email, password: 'not the password at all' });
    expectProblem(unknown, 401, 'unauthorized');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);

    const hashes: string[] = [];
    const limits = new AuthLimits(h.deps.pgPool, h.deps.keys.authDigestKey, { failuresPerMinute: 100, keyCreationsPerHour: 60 });
    const sessions = new SessionService(limits, new SecurityAlerts({ email: null, logger: h.deps.logger }), (hash, plain) => {
      hashes.push(hash);
      return verifySecret(hash, plain);
    });
    const em = h.deps.orm.em.fork();
    const refused = (input: { email: string; password: string }) =>
      sessions.create(em, input, freshAddress()).then(
        () => undefined,
        (e: unknown) => (e as AppError).kind,
      );
    expect(await refused({ email: newEmail(), password: PASSWORD })).toBe('unauthorized');
    expect(hashes).toEqual([await dummyArgon2Hash()]);
    expect(await refused({ email: holder.email, password: 'not the password at all' })).toBe('unauthorized');
    expect(hashes).toHaveLength(2);
    expect(hashes[1]).not.toBe(hashes[0]);
  });

  it("a stranger's failures never refuse the owner's correct password from a new address; they slow the stranger's address and alert once", async () => {
    const holder = await signUpAs();
    const [user] = await h.deps.orm.em
      .fork()
      .execute<{ id: string }[]>('select id from users where id in (select user_id from account_memberships where account_id = ?)', [
        holder.accountId,
      ]);
    const attackers = Array.from({ length: SUBJECT_FAILURES_ALERT.points / ADDRESS_SUBJECT_FAILURES.points }, () => freshAddress());
    expect(attackers).toHaveLength(4);
    for (const attacker of attackers) {
      for (let i = 0; i < ADDRESS_SUBJECT_FAILURES.points; i++) {
        expectProblem(await signIn({ email: holder.email, password: `wrong password ${i}` }, attacker), 401, 'unauthorized');
      }
      // That address is done with this email for a while, even with the right password...
      const blocked = await signIn({ email: holder.email, password: PASSWORD }, attacker);
      expectProblem(blocked, 429, 'rate_limited');
      expect(blocked.body.detail).toBe('limit of 5 failed sign-ins to one account from one address per 15 minutes reached');
    }
    // ...but the owner, from their own address, gets in after 20 failures of strangers.
    const owner = await signIn({ email: holder.email, password: PASSWORD });
    expect(owner.status).toBe(201);
    expect(owner.body.accountId).toBe(holder.accountId);
    const alerts = await h.deps.orm.em
      .fork()
      .execute<{ actor_type: string; target_id: string; details: unknown }[]>(
        "select actor_type, target_id, details from audit_log where action = 'security.sign_in_failures' and account_id = ?",
        [holder.accountId],
      );
    expect(alerts).toEqual([{ actor_type: 'system', target_id: user!.id, details: { failures: 20, windowMinutes: 60 } }]);
  });

  it('failed sign-ins are limited per address across emails', async () => {
    const holder = await signUpAs();
    const attacker = freshAddress();
    for (let i = 0; i < 10; i++) expectProblem(await signIn({ email: newEmail(), password: PASSWORD }, attacker), 401, 'unauthorized');
    expectProblem(await signIn({ email: holder.email, password: PASSWORD }, attacker), 429, 'rate_limited');
    expect((await signIn({ email: holder.email, password: PASSWORD })).status).toBe(201);
  });

  // One identity per email (issue 17): a second sign-up neither changes the password nor joins the
  // account to the identity until the emailed claim link is used (tests/holder-identity.test.ts
  // covers the claim and choosing between two accounts at sign-in).
  it('an email signs up twice: its first password still signs in to its account; the unclaimed second account is not reachable', async () => {
    const email = newEmail();
    const older = await signUpAs(email, 'the older password');
    const newer = await signUpAs(email, 'the newer password');
    expect((await signIn({ email, password: 'the older password' })).body.accountId).toBe(older.accountId);
    expectProblem(await signIn({ email, password: 'the newer password' }), 401, 'unauthorized');
    expectProblem(await signIn({ email, password: 'the older password', accountId: newer.accountId }), 401, 'unauthorized');
  });
});

describe('key limits', () => {
  it(`an account holds at most ${MAX_ACTIVE_API_KEYS} active keys: the next is 409 naming the cap; revoking one makes room`, async () => {
    const holder = await signUpAs();
    const ids: string[] = [];
    for (let i = 1; i < MAX_ACTIVE_API_KEYS; i++) {
      const created = await createKey(holder.auth, { name: `key ${i}` });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const refused = await createKey(holder.auth, { name: 'one too many' });
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.detail).toBe(
      'the account already has 50 active API keys, the most it may hold; revoke one (DELETE /v1/api-keys/{id}) before creating another',
    );
    expect((await request(app).delete(`/v1/api-keys/${ids[0]}`).set(holder.auth)).status).toBe(200);
    expect((await createKey(holder.auth, { name: 'in the freed place' })).status).toBe(201);
    expectProblem(await createKey(holder.auth, { name: 'over again' }), 409, 'conflict');
  });

  it('key creation is limited per account (API_KEY_CREATIONS_PER_HOUR, shared store): the next is 429; other accounts are not affected', async () => {
    const limited = createApp({ ...h.deps, config: { ...h.config, API_KEY_CREATIONS_PER_HOUR: 3 }, temporal: h.temporal });
    const holder = await signUpAs();
    const other = await signUpAs();
    for (let i = 0; i < 3; i++)
      expect(
        (
          await request(limited)
            .post('/v1/api-keys')
            .set(holder.auth)
            .send({ name: `k${i}` })
        ).status,
      ).toBe(201);
    const refused = await request(limited).post('/v1/api-keys').set(holder.auth).send({ name: 'k3' });
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.body.detail).toBe('limit of 3 new API keys for this account per 60 minutes reached');
    expect((await request(limited).post('/v1/api-keys').set(other.auth).send({ name: 'k0' })).status).toBe(201);
  });
});
