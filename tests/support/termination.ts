import type { ServiceDeps } from '../../services/deps';
import { sealRequester, sealSubject } from '../../services/dsr/dsr-subject';
import { uuidv7 } from '../../lib/ids';
import { randomBytes, randomInt } from 'node:crypto';
import type { Express } from 'express';
import type { Pool } from 'pg';
import request from 'supertest';
import { obtainSenderNumber } from './sender-numbers';
import { expect } from 'vitest';
import { phoneHash } from '../../lib/crypto/phone-hash';
import { PERSONAL_ROWS } from '../../services/termination/deletion-steps';
import type { SimulatorControl } from '../../simulator/control-client';
import { csvOf } from './csv';
import { markOwnerVerified } from './holders';
import { uploadCsv } from './imports';

export interface SeededAccount {
  accountId: string;
  email: string;
  auth: { Authorization: string };
  /** Every phone the account holds (contacts, opt-out, message recipient, inbound sender). */
  phones: string[];
  contactIds: string[];
  listId: string;
  senderPhone: string;
  queuedMessageId: string;
}

/** Asserts the exact status and returns the response. */
export function expectStatus(res: request.Response, status: number): request.Response {
  expect(res.status, `answered ${res.status}: ${JSON.stringify(res.body)}`).toBe(status);
  return res;
}

/** The account holder's password in every seeded account. */
export const HOLDER_PASSWORD = 'correct horse battery staple';

/** `n` different numbers (three drawn independently once collided: a contact posted twice answers 200, not 201). */
const distinctPhones = (n: number) => {
  const start = randomInt(0, 10_000 - n);
  return Array.from({ length: n }, (_, i) => `+1628555${String(start + i).padStart(4, '0')}`);
};

/**
 * An account holding some of every class of personal data, made through the API as a customer
 * would (plus one inbound message written as the carrier webhook would): contacts in a list, an
 * opt-out, a queued message, a staged import, a webhook endpoint, a draft campaign, a holder session,
 * an Idempotency-Key answer and a restriction.
 */
export async function seedAccount(
  app: Express,
  pool: Pool,
  deps: Pick<ServiceDeps, 'keys' | 'keyring' | 'orm'>,
  options: { importVia: 'api' | 'sql' } = { importVia: 'api' },
): Promise<SeededAccount> {
  const phoneHashKey = deps.keys.phoneHashKey;
  const email = `holder-${randomBytes(6).toString('hex')}@example.com`;
  const password = HOLDER_PASSWORD;
  const signUp = expectStatus(await request(app).post('/v1/accounts').send({ accountName: 'Leaving Ltd', email, password }), 201);
  const accountId: string = signUp.body.account.id;
  await markOwnerVerified(accountId);
  const auth = { Authorization: `Bearer ${signUp.body.apiKey.key as string}` };
  const [first, second, third, optOutPhone, importedPhone] = distinctPhones(5) as [string, string, string, string, string];
  const phones = [first, second, third];
  const contactIds: string[] = [];
  for (const [i, phone] of phones.entries()) {
    const res = await request(app)
      .post('/v1/contacts')
      .set(auth)
      .set('Idempotency-Key', `contact-${i}`)
      .send({ phone, name: `Person ${i}`, attributes: { city: 'Lyon' }, optIn: { source: 'web form' } });
    contactIds.push(expectStatus(res, 201).body.id);
  }
  const listId: string = expectStatus(await request(app).post('/v1/lists').set(auth).send({ name: 'Customers' }), 201).body.id;
  expectStatus(await request(app).post(`/v1/lists/${listId}/contacts`).set(auth).send({ contactIds }), 200);
  expectStatus(await request(app).post('/v1/opt-outs').set(auth).send({ phone: optOutPhone, reason: 'asked' }), 201);
  const senderPhone = await obtainSenderNumber(
    { app, deps: { orm: deps.orm, pgPool: pool } },
    { accountId, apiKeyId: signUp.body.apiKey.id as string, apiKey: signUp.body.apiKey.key as string, auth },
  );
  expectStatus(await request(app).put('/v1/account/messaging').set(auth).send({ companyName: 'Leaving', helpText: 'Leaving help' }), 200);
  const recipient = phones[0]!;
  const queued = expectStatus(
    await request(app).post('/v1/messages').set(auth).send({ to: recipient, from: senderPhone, body: 'your order shipped' }),
    202,
  );
  expectStatus(
    await request(app)
      .post('/v1/webhook-endpoints')
      .set(auth)
      .send({ url: 'https://1.1.1.1/hook', eventTypes: ['message.status'] }),
    201,
  );
  expectStatus(
    await request(app)
      .post('/v1/campaigns')
      .set(auth)
      .send({ name: 'Spring', template: 'Hi {{name | "there"}}', from: senderPhone, audience: { listIds: [listId] }, ratePerSecond: 5 }),
    201,
  );
  if (options.importVia === 'api') {
    expectStatus(
      await uploadCsv(
        app,
        auth,
        csvOf(
          ['phone', 'name'],
          [
            [importedPhone, 'Imported'],
            ['bad', 'Bad row'],
          ],
        ),
      ),
      202,
    );
  } else {
    // Staged as the upload stages it, with no import workflow (a time-skipping server would wait on its unpolled task).
    const { rows } = await pool.query<{ id: string }>(
      `insert into contact_imports (id, account_id, status, mapping, total_rows, chunk_count, created_at, updated_at)
       values (gen_random_uuid(), $1, 'completed', '{}', 2, 1, now(), now()) returning id`,
      [accountId],
    );
    await pool.query(`insert into contact_import_chunks (import_id, chunk_no, first_row, row_count, payload) values ($1, 0, 1, 2, $2)`, [
      rows[0]!.id,
      randomBytes(64),
    ]);
    await pool.query(
      `insert into contact_import_errors (import_id, row_no, column_name, reason) values ($1, 2, 'phone', 'not a phone number')`,
      [rows[0]!.id],
    );
  }
  expectStatus(await request(app).post('/v1/sessions').send({ email, password, accountId }), 201);
  // An inbound reply, as the carrier webhook stores it (the other party's number only as its hash here).
  await pool.query(
    `insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, created_at, updated_at)
     values (gen_random_uuid(), $1, 'inbound', 'inbound', $2, $3, 'GSM-7', 1, 'received', now(), now())`,
    [accountId, phoneHash(phoneHashKey, phones[1]!), senderPhone],
  );
  await pool.query(
    `insert into recipient_restrictions (account_id, phone_hash, reason, created_at) values ($1, $2, 'restriction', now())`,
    [accountId, phoneHash(phoneHashKey, phones[2]!)],
  );
  // A data subject request about a recipient (sealed subject and requester, as the DSR service writes
  // them), an extension, and the account's notice records (written as the DSR and notice workflows
  // would; a time-skipping server would wait on their unpolled tasks).
  const dataKey = await deps.keyring.keyFor(deps.orm.em.fork(), accountId);
  const dsrId = uuidv7();
  const { rows: dsr } = await pool.query<{ id: string }>(
    `insert into data_subject_requests (id, account_id, origin, type, status, subject_contact_id, subject_phone_hash, subject_pii,
       requester_pii, created_by_type, created_by_id, received_at, due_at, completion_note, updated_at)
     values ($6, $1, 'staff', 'rectification', 'open', $2, $3, $4, $5, 'staff', 'seed', now(), now() + interval '30 days',
       'fixed the name of Person 0', now()) returning id`,
    [
      accountId,
      contactIds[0],
      phoneHash(phoneHashKey, phones[0]!),
      sealSubject(dataKey, dsrId, { phone: phones[0]! }),
      sealRequester(dataKey, dsrId, { email: 'person0@example.com' }),
      dsrId,
    ],
  );
  await pool.query(
    `insert into data_subject_request_extensions (id, request_id, days, reason, status, requested_by, created_at)
     values (gen_random_uuid(), $1, 10, 'Person 0 sent more documents', 'pending', gen_random_uuid(), now())`,
    [dsr[0]!.id],
  );
  await pool.query(
    `insert into customer_notices (id, process_id, phase, account_id, title, body, content_version, shown_from)
     values (gen_random_uuid(), 'breach:seed', 'full', $1, 'A breach', 'Details', 'v1', now())`,
    [accountId],
  );
  await pool.query(
    `insert into subprocessor_objections (id, subprocessor_id, account_id, reason, status, created_at)
     select gen_random_uuid(), id, $1, 'not in our region', 'open', now() from subprocessors order by vendor limit 1`,
    [accountId],
  );
  await pool.query(
    `insert into notice_deliveries (process_id, phase, recipient_kind, recipient_id, content_version, sent_at, email)
     values ($1, 'full', 'account', $2, 'v1', now(), $3)`,
    [`breach:${randomBytes(4).toString('hex')}`, accountId, email],
  );
  return { accountId, email, auth, phones: [...phones, optOutPhone], contactIds, listId, senderPhone, queuedMessageId: queued.body.id };
}

/** Per table, the account's rows still holding personal data. */
export async function personalRows(pool: Pool, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, sql] of Object.entries(PERSONAL_ROWS))
    counts[table] = Number((await pool.query<{ count: string }>(sql, [accountId])).rows[0]!.count);
  return counts;
}

/** Tables that keep rows naming a deleted account, by design (SPEC §2): checked column by column instead. */
export const KEPT_TABLES = [
  'audit_log',
  'opt_outs',
  'messages',
  'message_attempts',
  'accounts',
  'account_data_keys',
  'account_terminations',
  'account_deletion_checkpoints',
  'data_subject_requests',
  'notice_deliveries',
];

/**
 * Every column of every table (from information_schema), searched for the account id (uuid, text
 * and json columns) and for the phone hashes (bytea columns). Kept tables are skipped for the id;
 * only opt-outs and the audit log may hold a hash. Returns "table.column" for every hit.
 */
export async function scanDatabase(pool: Pool, accountId: string, hashes: Buffer[]): Promise<string[]> {
  const { rows: columns } = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
    `select c.table_name, c.column_name, c.data_type from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
       join pg_class pc on pc.relname = c.table_name and pc.relnamespace = 'public'::regnamespace and not pc.relispartition
      where c.table_schema = 'public' order by c.table_name, c.ordinal_position`,
  );
  const hits: string[] = [];
  for (const c of columns) {
    const column = `"${c.column_name}"`;
    let sql: string | null = null;
    let params: unknown[] = [];
    if (['uuid', 'text', 'jsonb', 'json', 'character varying', 'ARRAY'].includes(c.data_type) && !KEPT_TABLES.includes(c.table_name)) {
      sql = `select count(*)::int as n from "${c.table_name}" where ${column}::text like $1`;
      params = [`%${accountId}%`];
    } else if (c.data_type === 'bytea' && !['opt_outs', 'audit_log'].includes(c.table_name)) {
      sql = `select count(*)::int as n from "${c.table_name}" where ${column} = any ($1::bytea[])`;
      params = [hashes];
    }
    if (!sql) continue;
    const { rows } = await pool.query<{ n: number }>(sql, params);
    if (rows[0]!.n > 0) hits.push(`${c.table_name}.${c.column_name}`);
  }
  return hits;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The emails the simulator accepted for `to` whose subject matches. */
export async function emailsTo(control: SimulatorControl, to: string, subject: RegExp) {
  return (await control.emails(to)).filter((e) => subject.test(e.subject));
}

/** The tokens in the termination email's text. */
export function linkTokens(text: string): { exportToken: string; confirmToken: string } {
  const exportToken = /\/v1\/account\/export\/(mse_[A-Za-z0-9_.-]+)/.exec(text)?.[1];
  const confirmToken = /"token": "(msc_[A-Za-z0-9_.-]+)"/.exec(text)?.[1];
  expect(exportToken).toBeDefined();
  expect(confirmToken).toBeDefined();
  return { exportToken: exportToken!, confirmToken: confirmToken! };
}
