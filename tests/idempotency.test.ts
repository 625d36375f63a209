import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJson } from '../lib/crypto/sealed-json';
import { sealedResponseBinding } from '../services/idempotency/idempotency-store';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Retrier');
});
afterAll(() => h.close());

const sql = <T>(query: string, params: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(query, params);

const listCount = async (account: TestAccount) =>
  (await sql<{ n: number }>('select count(*)::int as n from lists where account_id = ?', [account.accountId]))[0]!.n;

const contactCount = async () =>
  (
    await h.deps.orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from contacts where account_id = ?', [acct.accountId])
  )[0]!.n;

describe('Idempotency-Key', () => {
  it('replays the stored response for the same key and body, without doing the work twice', async () => {
    const send = () => request(h.app).post('/v1/lists').set(acct.auth).set('Idempotency-Key', 'list-1').send({ name: 'VIP' });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const lists = await request(h.app).get('/v1/lists').set(acct.auth);
    expect(lists.body.data).toHaveLength(1);
  });

  it('refuses the same key with a different body (422)', async () => {
    await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-1').send({ phone: '+14155550301' });
    const before = await contactCount();
    const res = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-1').send({ phone: '+14155550302' });
    expectProblem(res, 422, 'idempotency_key_reused');
    expect(await contactCount()).toBe(before);
  });

  it('keys are per account: another account may use the same key', async () => {
    const other = await signUp(h.app, 'Other retrier');
    const res = await request(h.app).post('/v1/lists').set(other.auth).set('Idempotency-Key', 'list-1').send({ name: 'VIP' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a failed request releases its key so the retry runs', async () => {
    const bad = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-2').send({ phone: '12' });
    expect(bad.status).toBe(422);
    const bad2 = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-3').send({ phone: '+14155550303' });
    expect(bad2.status).toBe(201);
    const retry = await request(h.app).post('/v1/contacts').set(acct.auth).set('Idempotency-Key', 'c-2').send({ phone: '+14155550304' });
    expect(retry.status).toBe(201);
  });

  it('rejects malformed keys', async () => {
    const res = await request(h.app).post('/v1/lists').set(acct.auth).set('Idempotency-Key', 'x'.repeat(300)).send({ name: 'a' });
    expectProblem(res, 422, 'validation');
  });
});

describe('Idempotency-Key under concurrency and failure', () => {
  it('two concurrent requests with one key have one effect; the others get 409 or the replay', async () => {
    const account = await signUp(h.app, 'Racer');
    const send = () => request(h.app).post('/v1/lists').set(account.auth).set('Idempotency-Key', 'race-1').send({ name: 'Race' });
    const answers = await Promise.all([send(), send(), send(), send(), send()]);
    expect(await listCount(account)).toBe(1);
    const original = answers.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(original).toHaveLength(1);
    for (const res of answers) {
      if (res === original[0]) continue;
      if (res.status === 409) expectProblem(res, 409, 'conflict');
      else {
        expect(res.status).toBe(201);
        expect(res.headers['idempotent-replayed']).toBe('true');
        expect(res.body).toEqual(original[0]!.body);
      }
    }
  });

  it('a claim whose request died (no answer, lease passed) is taken over by the same request, not 409 forever', async () => {
    const account = await signUp(h.app, 'Crasher');
    const send = (name: string) => request(h.app).post('/v1/lists').set(account.auth).set('Idempotency-Key', 'crash-1').send({ name });
    expect((await send('Crash')).status).toBe(201);
    // What a process that crashed between claim and store leaves behind: a claim without an answer.
    const dieMidway = (lease: string) =>
      sql(
        `update idempotency_keys set status_code = null, response_sealed = null, resource_type = null, resource_id = null,
           locked_until = now() + ?::interval where account_id = ? and key = 'crash-1'`,
        [lease, account.accountId],
      );
    await dieMidway('1 minute');
    expectProblem(await send('Crash'), 409, 'conflict');
    await dieMidway('-1 second');
    expectProblem(await send('Another'), 422, 'idempotency_key_reused');
    const retry = await send('Crash');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await listCount(account)).toBe(2);
    const replay = await send('Crash');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(retry.body);
  });

  it('a key expires 24 h after its claim and then behaves as new', async () => {
    const account = await signUp(h.app, 'Expirer');
    const send = (name: string) => request(h.app).post('/v1/lists').set(account.auth).set('Idempotency-Key', 'exp-1').send({ name });
    expect((await send('First')).status).toBe(201);
    const [row] = await sql<{ ttl: number }>(
      `select extract(epoch from expires_at - created_at)::int as ttl from idempotency_keys where account_id = ? and key = 'exp-1'`,
      [account.accountId],
    );
    expect(row!.ttl).toBe(24 * 60 * 60);
    expectProblem(await send('Second'), 422, 'idempotency_key_reused');
    await sql(`update idempotency_keys set expires_at = now() - interval '1 second' where account_id = ? and key = 'exp-1'`, [
      account.accountId,
    ]);
    const fresh = await send('Second');
    expect(fresh.status).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.body.name).toBe('Second');
  });
});

describe('What an Idempotency-Key keeps', () => {
  it('a replayed key creation answers the key id and prefix, never the secret', async () => {
    const account = await signUp(h.app, 'Key maker');
    const send = () => request(h.app).post('/v1/api-keys').set(account.auth).set('Idempotency-Key', 'key-1').send({ name: 'CI' });
    const first = await send();
    expect(first.status).toBe(201);
    expect(first.body.key).toMatch(/^msk_/);
    const replay = await send();
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const view = { ...(first.body as Record<string, unknown>) };
    delete view.key;
    expect(replay.body).toEqual(view);
    expect(JSON.stringify(replay.body)).not.toContain(first.body.key);
  });

  it("a deleted contact's PII does not come back on replay", async () => {
    const account = await signUp(h.app, 'Forgetter');
    const send = () =>
      request(h.app)
        .post('/v1/contacts')
        .set(account.auth)
        .set('Idempotency-Key', 'forget-1')
        .send({ phone: '+14155550411', name: 'Ada Lovelace' });
    const created = await send();
    expect(created.status).toBe(201);
    expect((await request(h.app).delete(`/v1/contacts/${created.body.id}`).set(account.auth)).status).toBe(204);
    const replay = await send();
    expectProblem(replay, 404, 'not_found');
    expect(replay.text).not.toContain('4155550411');
    expect(replay.text).not.toContain('Ada Lovelace');
  });

  it('stored rows hold no plaintext secret, phone or name, not even sealed (scan of the table)', async () => {
    const account = await signUp(h.app, 'Scanner');
    const phone = '+14155550477';
    const name = 'Grace Hopper';
    const post = (path: string, key: string, body: object) =>
      request(h.app).post(path).set(account.auth).set('Idempotency-Key', key).send(body);
    const apiKey = await post('/v1/api-keys', 'scan-key', { name: 'Scanner key' });
    expect(apiKey.status).toBe(201);
    expect((await post('/v1/contacts', 'scan-contact', { phone, name })).status).toBe(201);
    expect((await post('/v1/opt-outs', 'scan-opt-out', { phone: '+14155550478', reason: 'asked' })).status).toBe(201);
    const list = await post('/v1/lists', 'scan-list', { name: 'Sealed list' });
    expect(list.status).toBe(201);

    const forbidden = [apiKey.body.key as string, phone, '4155550477', '4155550478', name];
    const rows = await sql<Record<string, unknown> & { key: string; row_text: string }>(
      'select t.*, t::text as row_text from idempotency_keys t where account_id = ? order by key',
      [account.accountId],
    );
    expect(rows.map((r) => r.key)).toEqual(['scan-contact', 'scan-key', 'scan-list', 'scan-opt-out']);
    const dataKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), account.accountId);
    for (const row of rows) {
      const texts = Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : JSON.stringify(v)));
      if (Buffer.isBuffer(row.response_sealed)) {
        texts.push(JSON.stringify(openJson(dataKey, sealedResponseBinding(row.key), row.response_sealed)));
      }
      for (const text of texts) for (const secret of forbidden) expect(text).not.toContain(secret);
    }
    // The list's answer is kept sealed, and its plaintext name is nowhere in the row.
    const listRow = rows.find((r) => r.key === 'scan-list')!;
    expect(Buffer.isBuffer(listRow.response_sealed)).toBe(true);
    expect(listRow.row_text).not.toContain('Sealed list');
    expect((listRow.response_sealed as Buffer).toString('latin1')).not.toContain('Sealed list');
  });
});
