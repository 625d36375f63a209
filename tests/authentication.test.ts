import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { FailedAuthLimiter } from '../api/middleware/failed-auth-limiter';
import { ARGON2_HASH_PREFIX, ARGON2_OPTIONS, dummyArgon2Hash, verifySecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { ApiKeyAuthenticator } from '../services/auth/api-key-authenticator';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
/** The product's app with the failed-authentication clock frozen at `now`, so budgets and Retry-After are exact. */
let app: Express;
let now = Date.now();
let acct: TestAccount;
let addressNo = 0;
/** A client address of its own per call (the app trusts X-Forwarded-For from loopback), so budgets do not mix. */
const freshAddress = () => `198.51.100.${++addressNo}`;
const prefixOf = (token: string) => token.slice(0, 'msk_'.length + 12);
const unknownKey = () => `msk_${randomBytes(6).toString('hex')}_${'a'.repeat(32)}`;
const wrongSecret = (token: string) => `${prefixOf(token)}_${'b'.repeat(32)}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const getAccount = (token: string, address: string) => request(app).get('/v1/account').set(bearer(token)).set('X-Forwarded-For', address);

/** An argon2 verifier that records the hashes it was asked to check. */
function countingVerifier() {
  const hashes: string[] = [];
  return {
    hashes,
    verify: (hash: string, plain: string) => {
      hashes.push(hash);
      return verifySecret(hash, plain);
    },
  };
}

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeAll(async () => {
  h = await startHarness();
  app = createApp({ ...h.deps, temporal: h.temporal }, { authClock: () => now });
  acct = await signUp(app, 'Auth');
});
afterAll(() => h.close());

describe('failed authentication', () => {
  it('an unknown prefix and a wrong secret get identical 401 problems', async () => {
    const unknown = await getAccount(unknownKey(), freshAddress());
    const wrong = await getAccount(wrongSecret(acct.apiKey), freshAddress());
    expectProblem(unknown, 401, 'unauthorized');
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
  });

  it('every failure path costs exactly one argon2 verification: unknown prefix against a dummy hash of the same cost', async () => {
    const em = h.deps.orm.em.fork();
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(new FailedAuthLimiter(100), counter.verify);
    const [stored] = await em.execute<{ key_hash: string }[]>('select key_hash from api_keys where prefix = ?', [prefixOf(acct.apiKey)]);

    expect((await refusal(() => auth.authenticate(em, unknownKey(), freshAddress()))).kind).toBe('unauthorized');
    expect(counter.hashes).toEqual([await dummyArgon2Hash()]);
    expect(counter.hashes[0]!.startsWith(ARGON2_HASH_PREFIX)).toBe(true);

    expect((await refusal(() => auth.authenticate(em, wrongSecret(acct.apiKey), freshAddress()))).kind).toBe('unauthorized');
    expect(counter.hashes).toEqual([await dummyArgon2Hash(), stored!.key_hash]);

    // A correct key is verified once, then remembered.
    await auth.authenticate(em, acct.apiKey, freshAddress());
    await auth.authenticate(em, acct.apiKey, freshAddress());
    expect(counter.hashes).toHaveLength(3);
  });

  it('a revoked key costs one verification too', async () => {
    const created = await request(app).post('/v1/api-keys').set(acct.auth).send({ name: 'soon revoked' });
    expect((await request(app).delete(`/v1/api-keys/${created.body.id}`).set(acct.auth)).status).toBe(200);
    const em = h.deps.orm.em.fork();
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(new FailedAuthLimiter(100), counter.verify);
    expect((await refusal(() => auth.authenticate(em, created.body.key, freshAddress()))).kind).toBe('unauthorized');
    expect(counter.hashes).toHaveLength(1);
  });

  it('a limited caller is refused before any argon2 verification', async () => {
    const em = h.deps.orm.em.fork();
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(new FailedAuthLimiter(2, () => now), counter.verify);
    const address = freshAddress();
    for (let i = 0; i < 2; i++) expect((await refusal(() => auth.authenticate(em, unknownKey(), address))).kind).toBe('unauthorized');
    const limited = await refusal(() => auth.authenticate(em, unknownKey(), address));
    expect(limited.kind).toBe('rate_limited');
    expect(counter.hashes).toHaveLength(2);
  });

  it('per client address: after 10 failures the 11th attempt is 429 with Retry-After, even with a correct key; other addresses still get in', async () => {
    expect(h.config.AUTH_FAILURES_PER_MINUTE).toBe(10);
    const fresh = (await request(app).post('/v1/api-keys').set(acct.auth).send({ name: 'fresh' })).body.key as string;
    const attacker = freshAddress();
    for (let i = 0; i < 10; i++) expectProblem(await getAccount(unknownKey(), attacker), 401, 'unauthorized');
    const limited = await getAccount(unknownKey(), attacker);
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('6');
    // A key not verified yet would cost a verification, so the limited address is refused before it.
    expectProblem(await getAccount(fresh, attacker), 429, 'rate_limited');
    expect((await getAccount(fresh, freshAddress())).status).toBe(200);
    now += 6_000; // one failure's worth of budget comes back
    expectProblem(await getAccount(unknownKey(), attacker), 401, 'unauthorized');
    expectProblem(await getAccount(unknownKey(), attacker), 429, 'rate_limited');
  });

  it('per key prefix: 10 wrong secrets from 10 addresses limit that prefix; the verified real key still works', async () => {
    const victim = await signUp(app, 'Victim');
    expect((await getAccount(victim.apiKey, freshAddress())).status).toBe(200);
    for (let i = 0; i < 10; i++) expectProblem(await getAccount(wrongSecret(victim.apiKey), freshAddress()), 401, 'unauthorized');
    const limited = await getAccount(wrongSecret(victim.apiKey), freshAddress());
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('6');
    expect((await getAccount(victim.apiKey, freshAddress())).status).toBe(200);
  });
});

describe('argon2 cost', () => {
  it('passwords and API keys are stored as argon2id with exactly the configured parameters', async () => {
    const em = h.deps.orm.em.fork();
    const account = await signUp(app, 'Hashes');
    await request(app).post('/v1/api-keys').set(account.auth).send({ name: 'second' });
    const passwords = await em.execute<{ h: string }[]>('select password_hash as h from users where account_id = ?', [account.accountId]);
    const keys = await em.execute<{ h: string }[]>('select key_hash as h from api_keys where account_id = ?', [account.accountId]);
    expect(passwords).toHaveLength(1);
    expect(keys).toHaveLength(2);
    for (const { h: hash } of [...passwords, ...keys, { h: await dummyArgon2Hash() }]) {
      const [, type, memory, lanes, passes] = /^\$(\w+)\$v=19\$m=(\d+),p=(\d+),t=(\d+)\$/.exec(hash) ?? [];
      expect({ type, memory, lanes, passes }).toEqual({
        type: 'argon2id',
        memory: String(ARGON2_OPTIONS.memoryCost),
        lanes: String(ARGON2_OPTIONS.parallelism),
        passes: String(ARGON2_OPTIONS.timeCost),
      });
    }
  });
});
