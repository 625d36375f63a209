import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { problemErrorHandler } from '../api/http/problem';
import { importWorkflowId } from '../workflows/import-contacts';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { csvOf } from './support/csv';
import { startHarness, type Harness } from './support/harness';
import { uploadCsv } from './support/imports';

/** What the product logs (pino, API and worker) and what the Temporal SDK logs, all at debug level. */
const appLines: string[] = [];
const sdkLines: string[] = [];
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

const EMAIL = 'private-owner-7741@example.com';
const PASSWORD = 'hunter2 hunter2 private';
const NAME = 'Zelda Secretname';
const ATTRIBUTE = 'attr-secret-value-9';
const IP = '198.51.100.77';
const PHONE = '+14155550777';
/** Every secret or piece of PII the flows below send; none may appear in any log line. */
const SECRETS: string[] = [EMAIL, PASSWORD, NAME, ATTRIBUTE, IP, '4155550777', '5550778', '555-0778', '4155550779', '4155550780'];

let h: Harness;
let auth: { Authorization: string };

beforeAll(async () => {
  // Installed before the harness so the worker's SDK logs come here instead of stderr.
  installTemporalRuntime('debug', {
    shutdownSignals: [],
    logger: new DefaultLogger('DEBUG', (entry: LogEntry) => void sdkLines.push(json(entry))),
  });
  h = await startHarness({ worker: true, logLines: appLines, logLevel: 'debug' });
  const signUp = await request(h.app).post('/v1/accounts').send({ accountName: 'Private', email: EMAIL, password: PASSWORD });
  expect(signUp.status).toBe(201);
  SECRETS.push(signUp.body.apiKey.key);
  auth = { Authorization: `Bearer ${signUp.body.apiKey.key}` };
});
afterAll(() => h.close());

describe('logs carry no secrets or recipient PII', () => {
  it('API paths: contacts, a conflict, validation errors, keys and opt-outs', async () => {
    const contact = await request(h.app)
      .post('/v1/contacts')
      .set(auth)
      .send({ phone: PHONE, name: NAME, attributes: { note: ATTRIBUTE }, optIn: { source: 'web', ip: IP } });
    expect(contact.status).toBe(201);
    const other = await request(h.app).post('/v1/contacts').set(auth).send({ phone: '+14155550779' });
    expect(other.status).toBe(201);
    expect((await request(h.app).patch(`/v1/contacts/${other.body.id}`).set(auth).send({ phone: PHONE })).status).toBe(409);
    expect((await request(h.app).post('/v1/contacts').set(auth).send({ phone: '+999 4155550780', name: NAME })).status).toBe(422);
    const key = await request(h.app).post('/v1/api-keys').set(auth).set('Idempotency-Key', 'log-test-key').send({ name: 'second' });
    expect(key.status).toBe(201);
    SECRETS.push(key.body.key);
    expect((await request(h.app).post('/v1/opt-outs').set(auth).send({ phone: '+14155550779', reason: NAME })).status).toBe(201);
    expect(
      (
        await request(h.app)
          .get('/v1/contacts')
          .set({ Authorization: `Bearer ${key.body.key}x` })
      ).status,
    ).toBe(401);
  });

  it('import and worker paths: a CSV with good and bad rows through the ImportWorkflow', async () => {
    const csv = csvOf(
      ['phone', 'name', 'opt_in_ip', 'note'],
      [
        ['(415) 555-0778', NAME, IP, ATTRIBUTE],
        ['555-0778-bad', NAME, 'not-an-ip', ATTRIBUTE],
      ],
    );
    const res = await uploadCsv(h.app, auth, csv);
    expect(res.status).toBe(202);
    const result = await h.temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
    expect(result).toMatchObject({ created: 1, invalid: 1 });
  });

  it('error paths: a database driver error (whose message quotes the value) and a failed Temporal start', async () => {
    const boom = express();
    boom.get('/boom', async () => {
      await h.deps.orm.em.fork().execute('select ?::int as n', [PHONE]);
    });
    boom.use(problemErrorHandler(h.deps.logger));
    expect((await request(boom).get('/boom')).status).toBe(500);

    const closed = await Connection.connect({ address: h.config.TEMPORAL_ADDRESS });
    await closed.close();
    const noTemporal = createApp({ ...h.deps, temporal: new Client({ connection: closed }) });
    const res = await uploadCsv(noTemporal, auth, csvOf(['phone', 'name'], [[PHONE, NAME]]));
    expect(res.status).toBe(503);
  });

  it('debug lines of the objects the product handles are redacted', () => {
    const contactInput = { phone: PHONE, name: NAME, attributes: { note: ATTRIBUTE }, optIn: { source: 'web', ip: IP } };
    h.deps.logger.debug({ req: { headers: { authorization: auth.Authorization } } }, 'incoming request');
    h.deps.logger.debug({ body: contactInput }, 'request body');
    h.deps.logger.debug({ input: contactInput }, 'upserting contact');
    h.deps.logger.debug({ account: { email: EMAIL, password: PASSWORD } }, 'sign-up');
    h.deps.logger.debug({ email: EMAIL, password: PASSWORD }, 'sign-up fields');
    h.deps.logger.debug({ apiKey: { key: SECRETS[SECRETS.length - 1] } }, 'key created');
    h.deps.logger.debug({ created: { id: 'k', key: SECRETS[SECRETS.length - 1] } }, 'key row');
  });

  it('every path above logged, and no line holds a secret or PII', () => {
    const app = appLines.join('\n');
    const sdk = sdkLines.join('\n');
    // Each path really reached the logs, so the check below is not vacuous.
    expect(app).toContain('"path":"/v1/contacts"');
    expect(app).toContain('"path":"/v1/contacts/imports"');
    expect(app).toContain('unhandled error');
    expect(app).toContain('the import could not be started');
    expect(app).toContain('upserting contact');
    expect(app).toContain('"level":20');
    expect(sdk).toContain('processImportChunks');
    for (const secret of SECRETS) {
      expect(app, `app logs contain ${secret}`).not.toContain(secret);
      expect(sdk, `SDK logs contain ${secret}`).not.toContain(secret);
    }
  });
});
