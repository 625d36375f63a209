import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../api/app';
import { ARGON2_OPTIONS, dummyArgon2Hash, hashSecret, verifySecret } from '../lib/crypto/argon2';
import { AppError } from '../lib/errors';
import { clientLimitKey } from '../lib/net/client-address';
import { ApiKeyAuthenticator } from '../services/auth/api-key-authenticator';
import { AuthLimits } from '../services/auth/auth-limits';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { freshAddress, sameSlash64 } from './support/addresses';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let app: Express;
let acct: TestAccount;
const prefixOf = (token: string) => token.slice(0, 'msk_'.length + 12);
const unknownKey = () => `msk_${randomBytes(6).toString('hex')}_${'a'.repeat(32)}`;
const wrongSecret = (token: string) => `${prefixOf(token)}_${'b'.repeat(32)}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const getAccount = (token: string, address: string) => request(app).get('/v1/account').set(bearer(token)).set('X-Forwarded-For', address);
const em = () => h.deps.orm.em.fork();
const limits = () => new AuthLimits(h.deps.pgPool, h.deps.keys.authDigestKey, { failuresPerMinute: 10, keyCreationsPerHour: 60 });
/** What the product stores for a key: HMAC-SHA256 under the auth-digest system key, domain-separated. */
const expectedDigest = (token: string) => createHmac('sha256', h.deps.keys.authDigestKey).update('api_key\0').update(token).digest('hex');

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

async function newKey(name: string): Promise<{ id: string; key: string }> {
  const created = await request(app).post('/v1/api-keys').set(acct.auth).send({ name });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string };
}

beforeAll(async () => {
  h = await startHarness();
  app = h.app;
  acct = await signUp(app, 'Auth');
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => h.close());

describe('API keys are stored as HMAC digests', () => {
  it('the row holds HMAC-SHA256(auth-digest key, token), never the key or anything that contains it', async () => {
    const { id, key } = await newKey('digest');
    const [row] = await em().execute<{ key_hash: string }[]>('select key_hash from api_keys where id = ?', [id]);
    expect(row!.key_hash).toBe(expectedDigest(key));
    expect(row!.key_hash).not.toBe(createHmac('sha256', Buffer.alloc(0)).update(key).digest('hex'));
    expect(row!.key_hash).not.toContain(key.slice(prefixOf(key).length + 1));
    expect((await getAccount(key, freshAddress())).status).toBe(200);
  });

  it('unknown prefix, wrong secret and revoked key get identical 401s and cost no argon2 verification', async () => {
    const revoked = await newKey('soon revoked');
    expect((await request(app).delete(`/v1/api-keys/${revoked.id}`).set(acct.auth)).status).toBe(200);
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(h.deps.pgPool, h.deps.keys.authDigestKey, limits(), counter.verify);
    for (const token of [unknownKey(), wrongSecret(acct.apiKey), revoked.key]) {
      const err = await refusal(() => auth.authenticate(token, freshAddress(), em));
      expect([err.kind, err.message]).toEqual(['unauthorized', 'the API key is unknown, revoked or wrong']);
    }
    expect(counter.hashes).toEqual([]);
    const answers = [await getAccount(unknownKey(), freshAddress()), await getAccount(wrongSecret(acct.apiKey), freshAddress())];
    expectProblem(answers[0]!, 401, 'unauthorized');
    expect(answers[1]!.body).toEqual(answers[0]!.body);
  });

  it('a key stored before digests (argon2id) works once the old way, and its row then holds the digest instead', async () => {
    const { id, key } = await newKey('legacy');
    await em().execute('update api_keys set key_hash = ? where id = ?', [await hashSecret(key), id]);
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(h.deps.pgPool, h.deps.keys.authDigestKey, limits(), counter.verify);

    expect(await auth.authenticate(key, freshAddress(), em)).toEqual({
      accountId: acct.accountId,
      apiKeyId: id,
      scopes: ['read', 'write'],
    });
    expect(counter.hashes).toHaveLength(1);
    const [row] = await em().execute<{ key_hash: string }[]>('select key_hash from api_keys where id = ?', [id]);
    expect(row!.key_hash).toBe(expectedDigest(key));
    // Migrated: the next use is the digest lookup alone.
    expect((await auth.authenticate(key, freshAddress(), em)).apiKeyId).toBe(id);
    expect(counter.hashes).toHaveLength(1);
    expect((await getAccount(key, freshAddress())).status).toBe(200);
  });

  it('a wrong secret for a legacy key costs one argon2 verification and leaves the row as it was', async () => {
    const { id, key } = await newKey('legacy wrong');
    const argon2Hash = await hashSecret(key);
    await em().execute('update api_keys set key_hash = ? where id = ?', [argon2Hash, id]);
    const counter = countingVerifier();
    const auth = new ApiKeyAuthenticator(h.deps.pgPool, h.deps.keys.authDigestKey, limits(), counter.verify);
    expect((await refusal(() => auth.authenticate(wrongSecret(key), freshAddress(), em))).kind).toBe('unauthorized');
    expect(counter.hashes).toEqual([argon2Hash]);
    const [row] = await em().execute<{ key_hash: string }[]>('select key_hash from api_keys where id = ?', [id]);
    expect(row!.key_hash).toBe(argon2Hash);
  });
});

describe('bad tokens are limited per address, valid keys never', () => {
  it('eleven bad tokens from one address: the 11th is 429 with Retry-After, and a valid key from that address still answers 200', async () => {
    expect(h.config.AUTH_FAILURES_PER_MINUTE).toBe(10);
    const attacker = freshAddress();
    const frozen = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(frozen); // the shared store's window is read from Date.now: Retry-After is exact
    for (let i = 0; i < 10; i++) expectProblem(await getAccount(unknownKey(), attacker), 401, 'unauthorized');
    const limited = await getAccount(wrongSecret(acct.apiKey), attacker);
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.body.detail).toBe('limit of 10 failed authentications per 1 minute reached');
    const valid = await getAccount(acct.apiKey, attacker);
    expect(valid.status).toBe(200);
    expect(valid.body.id).toBe(acct.accountId);
    expectProblem(await getAccount('not-a-key', attacker), 429, 'rate_limited');
    expectProblem(await getAccount(unknownKey(), freshAddress()), 401, 'unauthorized');
  });

  it('an IPv6 client is limited by its /64: other hosts of the same /64 share the budget, the next /64 does not', async () => {
    const attacker = freshAddress();
    for (let i = 0; i < 10; i++) expectProblem(await getAccount(unknownKey(), sameSlash64(attacker, 0x100 + i)), 401, 'unauthorized');
    expectProblem(await getAccount(unknownKey(), sameSlash64(attacker, 0xbeef)), 429, 'rate_limited');
    expect(clientLimitKey(sameSlash64(attacker, 0xbeef))).toBe(clientLimitKey(attacker));
    expectProblem(await getAccount(unknownKey(), freshAddress()), 401, 'unauthorized');
  });

  it('the budget is in the shared store: a second app (another replica) refuses the same address', async () => {
    const attacker = freshAddress();
    for (let i = 0; i < 10; i++) expectProblem(await getAccount(unknownKey(), attacker), 401, 'unauthorized');
    const replica = createApp({ ...h.deps, temporal: h.temporal });
    expectProblem(
      await request(replica).get('/v1/account').set(bearer(unknownKey())).set('X-Forwarded-For', attacker),
      429,
      'rate_limited',
    );
    expect((await request(replica).get('/v1/account').set(bearer(acct.apiKey)).set('X-Forwarded-For', attacker)).status).toBe(200);
  });
});

describe('trusted proxies', () => {
  /** GET /v1/account on a listening app, from a loopback source address of our choosing (Linux routes all of 127/8 to lo). */
  async function fromSource(target: Express, source: string, token: string, forwardedFor: string): Promise<number> {
    const server = http.createServer(target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/account',
            localAddress: source,
            headers: { ...bearer(token), 'X-Forwarded-For': forwardedFor },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end();
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('X-Forwarded-For from a peer that is not a trusted proxy is ignored: its failures all count against the peer', async () => {
    expect(h.config.TRUSTED_PROXIES).toEqual(['127.0.0.1', '::1']);
    const untrusted = createApp({ ...h.deps, config: { ...h.config, TRUSTED_PROXIES: [] }, temporal: h.temporal });
    const peer = `127.${randomBytes(1)[0]! % 200}.${randomBytes(1)[0]!}.${1 + (randomBytes(1)[0]! % 250)}`;
    for (let i = 0; i < 10; i++) expect(await fromSource(untrusted, peer, unknownKey(), freshAddress())).toBe(401);
    expect(await fromSource(untrusted, peer, unknownKey(), freshAddress())).toBe(429);
    // A trusted proxy's X-Forwarded-For is believed: a fresh client behind it is not limited.
    const trusted = createApp({ ...h.deps, config: { ...h.config, TRUSTED_PROXIES: [`${peer}/32`] }, temporal: h.temporal });
    expect(await fromSource(trusted, peer, unknownKey(), freshAddress())).toBe(401);
  });
});

describe('argon2 cost', () => {
  it('passwords are stored as argon2id with exactly the configured parameters', async () => {
    const account = await signUp(app, 'Hashes');
    const passwords = await em().execute<{ h: string }[]>(
      'select password_hash as h from users where id in (select user_id from account_memberships where account_id = ?)',
      [account.accountId],
    );
    expect(passwords).toHaveLength(1);
    for (const { h: hash } of [...passwords, { h: await dummyArgon2Hash() }]) {
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
