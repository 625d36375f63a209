import { createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialPhoneHashKey } from '../lib/crypto/keys';
import { phoneHash } from '../lib/crypto/phone-hash';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Crypto at rest');
});
afterAll(() => h.close());

/** AES-256-GCM open of iv(12) || ciphertext || tag(16) with plain node:crypto, as an auditor would. */
function gcmOpen(key: Buffer, body: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
}

/** Unwraps the account's data key by the documented format (docs/ARCHITECTURE.md, "Keys and ciphertexts"). */
async function unwrapDataKeyByHand(accountId: string): Promise<Buffer> {
  const { rows } = await h.deps.pgPool.query<{ wrapped_key: Buffer; key_version: number }>(
    'select wrapped_key, key_version from account_data_keys where account_id = $1',
    [accountId],
  );
  const wrapped = rows[0]!.wrapped_key;
  const master = Buffer.from(h.config.MASTER_KEY, 'base64');
  const wrapKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'massivesms/data-key-wrap/v1', 32));
  const masterKeyId = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'massivesms/master-key-id/v1', 8));
  const header = wrapped.subarray(0, 9);
  expect(header).toEqual(Buffer.concat([Buffer.from([1]), masterKeyId]));
  const aad = Buffer.concat([header, Buffer.from(JSON.stringify(['account_data_keys.wrapped_key', accountId, rows[0]!.key_version]))]);
  return gcmOpen(wrapKey, wrapped.subarray(9), aad);
}

async function createContact(phone: string, name: string): Promise<string> {
  const res = await request(h.app).post('/v1/contacts').set(acct.auth).send({ phone, name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function storedPii(contactId: string): Promise<Buffer> {
  const { rows } = await h.deps.pgPool.query<{ pii: Buffer }>('select pii from contacts where id = $1', [contactId]);
  return rows[0]!.pii;
}

function expectUnreadable(res: request.Response, contactId: string): void {
  expect(res.status).toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual({
    type: 'https://massivesms.dev/problems/stored_data_unreadable',
    title: 'Stored data failed its integrity check',
    status: 500,
    detail: `the stored data of ${contactId} failed its integrity check and cannot be read`,
    instance: `/v1/contacts/${contactId}`,
  });
}

describe('secrets and PII at rest', () => {
  it('phone_hash is a keyed HMAC: it differs under two master keys and is not a plain hash of the number', async () => {
    const phone = '+14155550901';
    const underA = phoneHash(initialPhoneHashKey(randomBytes(32).toString('base64')), phone);
    const underB = phoneHash(initialPhoneHashKey(randomBytes(32).toString('base64')), phone);
    expect(underA.equals(underB)).toBe(false);

    const id = await createContact(phone, 'Hash Keyed');
    const { rows } = await h.deps.pgPool.query<{ phone_hash: Buffer }>('select phone_hash from contacts where id = $1', [id]);
    const stored = rows[0]!.phone_hash;
    expect(stored.equals(createHmac('sha256', h.deps.keys.phoneHashKey).update(phone).digest())).toBe(true);
    expect(stored.equals(createHash('sha256').update(phone).digest())).toBe(false);
    // The process's phone-hash key is the one derived from this run's MASTER_KEY when the database was new.
    expect(h.deps.keys.phoneHashKey.equals(initialPhoneHashKey(h.config.MASTER_KEY))).toBe(true);
  });

  it("contacts.pii is AES-256-GCM under the account's data key, bound to the contact's row", async () => {
    const id = await createContact('+14155550902', 'Grace H.');
    const pii = await storedPii(id);
    expect(pii.includes(Buffer.from('+14155550902'))).toBe(false);
    expect(pii.includes(Buffer.from('Grace'))).toBe(false);

    const dataKey = await unwrapDataKeyByHand(acct.accountId);
    const header = pii.subarray(0, 5);
    expect(header).toEqual(Buffer.from([1, 0, 0, 0, 1])); // format 1, data-key version 1
    const aad = Buffer.concat([header, Buffer.from(JSON.stringify(['contacts.pii', acct.accountId, id]))]);
    expect(JSON.parse(gcmOpen(dataKey, pii.subarray(5), aad).toString('utf8'))).toEqual({
      phone: '+14155550902',
      name: 'Grace H.',
      attributes: {},
      optInIp: null,
    });
    // The same bytes do not open as any other row's value.
    const otherRow = Buffer.concat([
      header,
      Buffer.from(JSON.stringify(['contacts.pii', acct.accountId, randomBytes(16).toString('hex')])),
    ]);
    expect(() => gcmOpen(dataKey, pii.subarray(5), otherRow)).toThrow();
  });

  it('a tampered ciphertext does not open: a clear problem, no PII', async () => {
    const id = await createContact('+14155550903', 'Tampered');
    const pii = await storedPii(id);
    pii[pii.length - 20]! ^= 0x01;
    await h.deps.pgPool.query('update contacts set pii = $2 where id = $1', [id, pii]);
    expectUnreadable(await request(h.app).get(`/v1/contacts/${id}`).set(acct.auth), id);
  });

  it("a ciphertext copied onto another contact's row does not open there", async () => {
    const source = await createContact('+14155550904', 'Source Person');
    const target = await createContact('+14155550905', 'Target Person');
    await h.deps.pgPool.query('update contacts set pii = (select pii from contacts where id = $1) where id = $2', [source, target]);
    const res = await request(h.app).get(`/v1/contacts/${target}`).set(acct.auth);
    expectUnreadable(res, target);
    expect(JSON.stringify(res.body)).not.toContain('+14155550904');
    // The source row itself still reads.
    const ok = await request(h.app).get(`/v1/contacts/${source}`).set(acct.auth);
    expect(ok.status).toBe(200);
    expect(ok.body.phone).toBe('+14155550904');
  });

  it("an opt-out's sealed phone copied onto another opt-out does not open there", async () => {
    const other = await signUp(h.app, 'Opt-out mover');
    const a = await request(h.app).post('/v1/opt-outs').set(other.auth).send({ phone: '+14155550906' });
    const b = await request(h.app).post('/v1/opt-outs').set(other.auth).send({ phone: '+14155550907' });
    expect([a.status, b.status]).toEqual([201, 201]);
    await h.deps.pgPool.query('update opt_outs set phone_pii = (select phone_pii from opt_outs where id = $1) where id = $2', [
      a.body.id,
      b.body.id,
    ]);
    const res = await request(h.app).get('/v1/opt-outs').set(other.auth);
    expect(res.status).toBe(500);
    expect(res.body.type).toBe('https://massivesms.dev/problems/stored_data_unreadable');
    expect(res.body.detail).toBe(`the stored data of ${b.body.id} failed its integrity check and cannot be read`);
    expect(JSON.stringify(res.body)).not.toContain('+14155550906');
  });
});
