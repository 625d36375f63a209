import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { openOrm, prepareDatabase } from '../db/orm';
import { createPgPool } from '../db/pg-pool';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { createServiceDeps } from '../services/bootstrap';
import { verifyAuditChain } from '../services/audit-log';
import { rotateMasterKey } from '../services/key-rotation';
import { DataKeyring } from '../services/keyring';
import { signUp } from './support/accounts';
import { startHarness, testEnvironment } from './support/harness';

// Rotation changes what every key in the database is wrapped by, so it runs on a database of its own.
const ownerDatabaseUrl = `${process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/'}massivesms_rotation_${randomBytes(4).toString('hex')}`;
const databaseUrl = urlAsRole(ownerDatabaseUrl, DEFAULT_APP_ROLE);
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');

beforeAll(() => prepareDatabase(ownerDatabaseUrl, databaseUrl));
afterAll(() => dropDatabase(ownerDatabaseUrl));

describe('MASTER_KEY rotation', () => {
  it('rewraps every key: old data still decrypts, opt-outs still match, and the old master key alone no longer unwraps', async () => {
    const before = await startHarness({ env: { DATABASE_URL: databaseUrl, MASTER_KEY: oldKey } });
    const acct = await signUp(before.app, 'Rotating');
    const contact = await request(before.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550970', name: 'Kept' });
    expect(contact.status).toBe(201);
    const optOut = await request(before.app).post('/v1/opt-outs').set(acct.auth).send({ phone: '+14155550971' });
    expect(optOut.status).toBe(201);
    await before.close();

    // Deployed with the new key first: what the old key wrapped still opens; what is new is wrapped by the new key.
    const during = await startHarness({ env: { DATABASE_URL: databaseUrl, MASTER_KEY: newKey, MASTER_KEY_PREVIOUS: oldKey } });
    try {
      const got = await request(during.app).get(`/v1/contacts/${contact.body.id}`).set(acct.auth);
      expect(got.body.phone).toBe('+14155550970');
      await signUp(during.app, 'Signed up during the rotation');
    } finally {
      await during.close();
    }

    const pool = createPgPool(databaseUrl, 1);
    try {
      const masters = deriveMasterKeys(newKey, oldKey);
      // System keys: the phone-hash key, the audit-MAC key, the staff-TOTP key and the API-key digest key.
      expect(await rotateMasterKey(pool, masters, 1)).toEqual({ dataKeys: 1, systemKeys: 4 });
      expect(await rotateMasterKey(pool, masters, 1)).toEqual({ dataKeys: 0, systemKeys: 0 });
    } finally {
      await pool.end();
    }

    const after = await startHarness({ env: { DATABASE_URL: databaseUrl, MASTER_KEY: newKey } });
    try {
      const got = await request(after.app).get(`/v1/contacts/${contact.body.id}`).set(acct.auth);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ phone: '+14155550970', name: 'Kept', optedOut: false });
      const opts = await request(after.app).get('/v1/opt-outs').set(acct.auth);
      expect(opts.body.data.map((o: { phone: string }) => o.phone)).toEqual(['+14155550971']);

      const reuploaded = await request(after.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550971', name: 'Came Back' });
      expect(reuploaded.status).toBe(201);
      expect(reuploaded.body.optedOut).toBe(true);
      const again = await request(after.app).post('/v1/contacts').set(acct.auth).send({ phone: '+14155550970' });
      expect(again.status).toBe(200); // the same number dedupes onto the same contact
      expect(again.body.id).toBe(contact.body.id);
      // The audit chain written before the rotation still verifies: its MAC key was rewrapped, not replaced.
      const verdict = await verifyAuditChain(after.deps.orm.em.fork(), [after.deps.keys.auditMacKey]);
      expect(verdict).toMatchObject({ ok: true });
      expect(verdict.entries).toBeGreaterThan(0);
    } finally {
      await after.close();
    }

    const orm = await openOrm(databaseUrl);
    try {
      const oldKeyring = new DataKeyring(deriveMasterKeys(oldKey), { ttlMs: 60_000, maxEntries: 10 });
      await expect(oldKeyring.keyFor(orm.em.fork(), acct.accountId)).rejects.toThrow(
        `account_data_keys.wrapped_key of ${acct.accountId} is wrapped by master key ${deriveMasterKeys(newKey).current.id}, which is not configured`,
      );
    } finally {
      await orm.close();
    }
    const oldOnly = loadConfig(testEnvironment({ DATABASE_URL: databaseUrl, MASTER_KEY: oldKey }));
    await expect(createServiceDeps(oldOnly, 'test-old-key')).rejects.toThrow(
      `system_keys.wrapped_key of phone_hash is wrapped by master key ${deriveMasterKeys(newKey).current.id}, which is not configured`,
    );
  });
});
