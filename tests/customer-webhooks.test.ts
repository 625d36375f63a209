import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { createEmailSender } from '../providers/email/registry';
import { isPublicAddress } from '../services/webhooks/address-policy';
import { publishCustomerEvent } from '../services/webhooks/customer-events';
import {
  ENDPOINT_DISABLE_AFTER_MS,
  ENDPOINT_DISABLE_MIN_FAILURES,
  WEBHOOK_RETRY_BACKOFF_MS,
  WEBHOOK_RETRY_WINDOW,
  WEBHOOK_RETRY_WINDOW_MS,
} from '../services/webhooks/delivery-policy';
import { eventUuidOf } from '../services/webhooks/event-ids';
import { WEBHOOK_DNS_TIMEOUT_MS } from '../services/webhooks/webhook-url-policy';
import { WebhookDeliveryRunner } from '../services/webhooks/webhook-delivery-runner';
import { WEBHOOK_DELIVERIES_WORKFLOW_ID } from '../workflows/webhooks/webhook-deliveries';
import { ensureWebhookDeliveriesWorkflow } from '../workers/webhook-deliveries-workflow';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';
import { startWebhookDelivery } from './support/webhook-worker';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

let sim: SimulatorProcess;
let h: Harness;
let strict: Harness;
let receiver: WebhookReceiver;
let acct: TestAccount;

interface DeliveryRow {
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  first_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
}

const em = (): EntityManager => h.deps.orm.em.fork();
const ms = (v: string | Date | null) => (v === null ? null : new Date(v).getTime());

async function createEndpoint(account: TestAccount, url: string, eventTypes = ['message.status', 'message.inbound']) {
  const res = await request(h.app).post('/v1/webhook-endpoints').set(account.auth).send({ url, eventTypes });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string; url: string };
}

async function publish(account: TestAccount, type: 'message.status' | 'message.inbound', data: Record<string, unknown>, now?: Date) {
  return em().transactional((tem) => publishCustomerEvent(tem, account.accountId, type, data, h.deps, now));
}

async function deliveryRow(endpointId: string, eventId: string): Promise<DeliveryRow> {
  const [row] = await em().execute<DeliveryRow[]>(
    `select status, attempts, next_attempt_at, first_attempt_at, last_status_code, last_error
     from webhook_deliveries where endpoint_id = ? and event_id = ?`,
    [endpointId, eventUuidOf(eventId)],
  );
  return row!;
}

async function attemptTimes(endpointId: string, eventId: string): Promise<number[]> {
  const rows = await em().execute<{ attempted_at: string }[]>(
    `select attempted_at from webhook_delivery_attempts where endpoint_id = ? and event_id = ? order by attempt_no`,
    [endpointId, eventUuidOf(eventId)],
  );
  return rows.map((r) => ms(r.attempted_at)!);
}

/** A runner on a clock the test moves: the retry rules run at their real constants without waiting for them. */
function clockedRunner(start: Date, allowLoopback = true) {
  let now = start;
  const runner = new WebhookDeliveryRunner({
    orm: h.deps.orm,
    keyring: h.deps.keyring,
    logger: h.deps.logger,
    policy: { allowLoopback },
    email: createEmailSender(h.config),
    clock: () => now,
  });
  return {
    runner,
    set: (t: number | Date) => (now = new Date(t)),
    get now() {
      return now;
    },
  };
}

beforeAll(async () => {
  sim = await startSimulatorProcess();
  h = await startHarness({ env: { ...sim.env(), WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  strict = await startHarness({ env: { WEBHOOKS_ALLOW_LOOPBACK: 'false' } });
  receiver = await new WebhookReceiver().start();
  acct = await signUp(h.app, 'Hooked');
});
afterAll(async () => {
  await receiver.stop();
  await strict.close();
  await h.close();
  await sim.stop();
});

describe('endpoints: the secret and the URL rule', () => {
  it('shows the whsec_ secret once (never in GET, list or a replay) and stores it only sealed', async () => {
    const created = await request(h.app)
      .post('/v1/webhook-endpoints')
      .set(acct.auth)
      .set('Idempotency-Key', 'create-once')
      .send({ url: receiver.url('/sealed'), eventTypes: ['message.status'], description: 'orders' });
    expect(created.status).toBe(201);
    const { id, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const keyBytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(keyBytes.length).toBeGreaterThanOrEqual(24);
    expect(created.body).toMatchObject({ eventTypes: ['message.status'], description: 'orders', status: 'active' });

    const replay = await request(h.app)
      .post('/v1/webhook-endpoints')
      .set(acct.auth)
      .set('Idempotency-Key', 'create-once')
      .send({ url: receiver.url('/sealed'), eventTypes: ['message.status'], description: 'orders' });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(id);
    expect(replay.body).not.toHaveProperty('secret');
    const one = await request(h.app).get(`/v1/webhook-endpoints/${id}`).set(acct.auth);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    const list = await request(h.app).get('/v1/webhook-endpoints').set(acct.auth);
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6, 20));

    // Every byte of every table that could hold it: neither the secret's text nor its key bytes.
    for (const table of ['webhook_endpoints', 'idempotency_keys', 'audit_log']) {
      const rows = await em().execute<{ dump: Buffer }[]>(`select convert_to(t::text, 'UTF8') as dump from ${table} t`);
      const all = Buffer.concat(rows.map((r) => r.dump));
      expect(all.includes(Buffer.from(secret)), table).toBe(false);
      expect(all.includes(Buffer.from(secret.slice(6, 30))), table).toBe(false);
      expect(all.includes(Buffer.from(keyBytes.toString('hex'))), table).toBe(false);
    }
    const [row] = await em().execute<{ secret: Buffer }[]>('select secret from webhook_endpoints where id = ?', [id]);
    expect(row!.secret.includes(keyBytes)).toBe(false);
    expect(row!.secret.includes(Buffer.from(secret))).toBe(false);
    expect(row!.secret[0]).toBe(1); // the sealed-field format byte
  });

  it('refuses URLs that are not https or reach non-public addresses, without the loopback flag', async () => {
    const strictAcct = await signUp(strict.app, 'Strict');
    const refused = [
      ['http://example.com/hook', 'must be an https URL'],
      ['http://127.0.0.1/hook', 'must be an https URL'],
      ['https://127.0.0.1/hook', 'public'],
      ['https://10.1.2.3/hook', 'public'],
      ['https://172.16.5.4/hook', 'public'],
      ['https://192.168.1.1/hook', 'public'],
      ['https://169.254.169.254/latest/meta-data', 'public'],
      ['https://100.64.0.1/hook', 'public'],
      ['https://0.0.0.0/hook', 'public'],
      ['https://[::1]/hook', 'public'],
      ['https://[fd00::1]/hook', 'public'],
      ['https://[fe80::1]/hook', 'public'],
      ['https://[::ffff:127.0.0.1]/hook', 'public'],
      ['https://[::ffff:a9fe:a9fe]/hook', 'public'],
      ['https://localhost/hook', 'public'],
      ['https://user:pw@1.1.1.1/hook', 'without credentials'],
    ];
    for (const [url, reason] of refused) {
      const res = await request(strict.app)
        .post('/v1/webhook-endpoints')
        .set(strictAcct.auth)
        .send({ url, eventTypes: ['message.status'] });
      expectProblem(res, 422, 'validation');
      expect(res.body.errors, url).toEqual([{ field: 'body.url', reason: expect.stringContaining(reason!) }]);
    }
    const ok = await request(strict.app)
      .post('/v1/webhook-endpoints')
      .set(strictAcct.auth)
      .send({ url: 'https://1.1.1.1/hook', eventTypes: ['message.status'] });
    expect(ok.status).toBe(201);
    const patched = await request(strict.app)
      .patch(`/v1/webhook-endpoints/${ok.body.id}`)
      .set(strictAcct.auth)
      .send({ url: 'https://10.0.0.1/x' });
    expectProblem(patched, 422, 'validation');
    expect((await request(strict.app).get(`/v1/webhook-endpoints/${ok.body.id}`).set(strictAcct.auth)).body.url).toBe(
      'https://1.1.1.1/hook',
    );
  });

  it('resolves URL hosts through c-ares with a real timeout: a DNS server that never answers gives a clear 422 after 5 s, not a hang', async () => {
    const silent = createSocket('udp4');
    const queries: Buffer[] = [];
    silent.on('message', (packet) => queries.push(packet));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const server = `127.0.0.1:${silent.address().port}`;
      const app = createApp({ ...strict.deps, config: { ...strict.config, WEBHOOK_DNS_SERVERS: [server] }, temporal: strict.temporal });
      const account = await signUp(app, 'Silent DNS');
      const started = performance.now();
      const res = await request(app)
        .post('/v1/webhook-endpoints')
        .set(account.auth)
        .send({ url: 'https://hooks.unanswered.example/x', eventTypes: ['message.status'] });
      const elapsed = performance.now() - started;
      expectProblem(res, 422, 'validation');
      expect(res.body.errors).toEqual([
        { field: 'body.url', reason: 'the host name did not resolve within 5 s (no answer from DNS); try again later' },
      ]);
      expect(WEBHOOK_DNS_TIMEOUT_MS).toBe(5_000);
      expect(elapsed).toBeGreaterThanOrEqual(WEBHOOK_DNS_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(WEBHOOK_DNS_TIMEOUT_MS + 2_000);
      // Asked of the configured server (A and AAAA), not of getaddrinfo.
      expect(queries.length).toBeGreaterThanOrEqual(2);
    } finally {
      silent.close();
    }
  });

  it('classifies addresses: public v4 and v6 pass, every reserved range does not', () => {
    for (const a of ['1.1.1.1', '8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001::200e'])
      expect(isPublicAddress(a), a).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '100.127.255.254',
      '169.254.169.254',
      '172.31.255.255',
      '192.168.0.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fc00::1',
      'fdff::1',
      'fe80::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2001:db8::1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it('refuses at delivery a stored URL that now reaches loopback (rebinding), recording the attempt and sending nothing', async () => {
    const account = await signUp(h.app, 'Rebound');
    const viaName = await createEndpoint(account, receiver.url('/rebound', 'localhost'));
    const viaLiteral = await createEndpoint(account, receiver.url('/rebound-literal'));
    // As if DNS answered a public address at creation and loopback now: the stored URL is https.
    await em().execute(`update webhook_endpoints set url = replace(url, 'http://', 'https://') where account_id = ?`, [account.accountId]);
    const clock = clockedRunner(new Date(Date.now() + 400 * 24 * HOUR), false);
    const eventId = (await publish(account, 'message.status', { messageId: 'm-rebound', status: 'sent' }, clock.now))!;
    await clock.runner.drainOnce();
    for (const endpoint of [viaName, viaLiteral]) {
      const row = await deliveryRow(endpoint.id, eventId);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: 'address_not_allowed' });
    }
    expect(receiver.on('/rebound')).toHaveLength(0);
    expect(receiver.on('/rebound-literal')).toHaveLength(0);
  });

  it('records an error class, never a body, when no answer comes: timeout and refused connection', async () => {
    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const hungPort = (hung.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const account = await signUp(h.app, 'Silent');
      const slow = await createEndpoint(account, `http://127.0.0.1:${hungPort}/hook`);
      const gone = await createEndpoint(account, `http://127.0.0.1:${closedPort}/hook`);
      const start = new Date(Date.now() + 500 * 24 * HOUR);
      const runner = new WebhookDeliveryRunner({
        orm: h.deps.orm,
        keyring: h.deps.keyring,
        logger: h.deps.logger,
        policy: { allowLoopback: true },
        email: null,
        clock: () => start,
        attemptTimeoutMs: 300,
      });
      const eventId = (await publish(account, 'message.status', { messageId: 'm-silent', status: 'sent' }, start))!;
      await runner.drainOnce();
      expect(await deliveryRow(slow.id, eventId)).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_status_code: null,
        last_error: 'timeout',
      });
      expect(await deliveryRow(gone.id, eventId)).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_status_code: null,
        last_error: 'connection_refused',
      });
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('an endpoint deleted while its delivery is in flight: the answer is dropped, nothing fails', async () => {
    const account = await signUp(h.app, 'Deleted mid-flight');
    let endpointId = '';
    const deleting = createServer((_req, res) => {
      void request(h.app)
        .delete(`/v1/webhook-endpoints/${endpointId}`)
        .set(account.auth)
        .then((r) => res.writeHead(r.status === 204 ? 200 : 500).end());
    });
    await new Promise<void>((resolve) => deleting.listen(0, '127.0.0.1', resolve));
    try {
      endpointId = (await createEndpoint(account, `http://127.0.0.1:${(deleting.address() as AddressInfo).port}/hook`)).id;
      const start = new Date(Date.now() + 600 * 24 * HOUR);
      const clock = clockedRunner(start);
      await publish(account, 'message.status', { messageId: 'm-deleted', status: 'sent' }, start);
      expect((await clock.runner.drainOnce()).delivered).toBe(1);
      const [left] = await em().execute<{ n: string }[]>('select count(*) as n from webhook_deliveries where endpoint_id = ?', [
        endpointId,
      ]);
      expect(left!.n).toBe('0');
    } finally {
      deleting.closeAllConnections();
      await new Promise((resolve) => deleting.close(resolve));
    }
  });

  it('rotating the secret shows the new one once and keeps it sealed', async () => {
    const endpoint = await createEndpoint(acct, receiver.url('/rotated'));
    const rotated = await request(h.app).post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`).set(acct.auth);
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(endpoint.id);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect((await request(h.app).get(`/v1/webhook-endpoints/${endpoint.id}`).set(acct.auth)).body).not.toHaveProperty('secret');
    const [row] = await em().execute<{ dump: Buffer }[]>(
      `select convert_to(t::text, 'UTF8') as dump from webhook_endpoints t where id = ?`,
      [endpoint.id],
    );
    expect(row!.dump.includes(Buffer.from(rotated.body.secret.slice(6, 30)))).toBe(false);
  });

  it('config refuses WEBHOOKS_ALLOW_LOOPBACK=true with NODE_ENV=production', () => {
    const env = testEnvironment({ WEBHOOKS_ALLOW_LOOPBACK: 'true' });
    expect(() => loadConfig({ ...env, NODE_ENV: 'production' })).toThrow(/WEBHOOKS_ALLOW_LOOPBACK/);
    expect(loadConfig({ ...env, NODE_ENV: 'production', WEBHOOKS_ALLOW_LOOPBACK: 'false' }).WEBHOOKS_ALLOW_LOOPBACK).toBe(false);
    expect(loadConfig(env).WEBHOOKS_ALLOW_LOOPBACK).toBe(true);
  });
});

describe('retry rules at their real constants (clocked runner, no workflow)', () => {
  it('publishing with no subscribed endpoint writes nothing', async () => {
    const lonely = await signUp(h.app, 'No endpoints');
    expect(await publish(lonely, 'message.status', { messageId: 'm0', status: 'sent' })).toBeNull();
    const subscribed = await signUp(h.app, 'Inbound only');
    await createEndpoint(subscribed, receiver.url('/inbound-only'), ['message.inbound']);
    expect(await publish(subscribed, 'message.status', { messageId: 'm0', status: 'sent' })).toBeNull();
    const [count] = await em().execute<{ n: string }[]>('select count(*) as n from webhook_deliveries where account_id in (?, ?)', [
      lonely.accountId,
      subscribed.accountId,
    ]);
    expect(count!.n).toBe('0');
  });

  it(`backs off 30 s, 2 min, 10 min, 1 h, then every 6 h, and gives up ${WEBHOOK_RETRY_WINDOW} after the first attempt`, async () => {
    const account = await signUp(h.app, 'Backoff');
    const endpoint = await createEndpoint(account, receiver.url('/picky'));
    // The receiver refuses this one event and takes every other, so the endpoint stays healthy (never disabled).
    receiver.answerBy('/picky', (body) => (body.includes('poison') ? 503 : 200));
    const start = new Date(Date.now() + 10 * 24 * HOUR); // in the future: the real clock never finds these due
    const clock = clockedRunner(start);
    const eventId = (await publish(account, 'message.inbound', { messageId: 'poison', from: '+14155550100', text: 'hi' }, start))!;
    for (let i = 0; i < 40; i++) {
      const row = await deliveryRow(endpoint.id, eventId);
      if (row.status !== 'pending') break;
      clock.set(ms(row.next_attempt_at)!);
      await publish(account, 'message.status', { messageId: `fine-${i}`, status: 'sent' }, clock.now);
      const drained = await clock.runner.drainOnce();
      expect(drained).toMatchObject({ claimed: 2, delivered: 1, disabledEndpoints: 0 });
    }
    const t0 = start.getTime();
    const expected = [t0];
    for (const wait of [30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR]) expected.push(expected.at(-1)! + wait);
    while (expected.at(-1)! + 6 * HOUR < t0 + 3 * 24 * HOUR) expected.push(expected.at(-1)! + 6 * HOUR);
    expected.push(t0 + 3 * 24 * HOUR); // the last attempt is at exactly 3 days
    expect(expected).toHaveLength(17);
    expect(await attemptTimes(endpoint.id, eventId)).toEqual(expected);
    expect(WEBHOOK_RETRY_BACKOFF_MS).toEqual([30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR]);
    expect(WEBHOOK_RETRY_WINDOW_MS).toBe(3 * 24 * HOUR);
    const final = await deliveryRow(endpoint.id, eventId);
    expect(final).toMatchObject({ status: 'failed', attempts: 17, next_attempt_at: null, last_status_code: 503, last_error: null });
    const [gaveUp] = await em().execute<{ payload: Buffer | null }[]>('select payload from webhook_deliveries where event_id = ?', [
      eventUuidOf(eventId),
    ]);
    expect(gaveUp!.payload).toBeNull();
    expect(ms(final.first_attempt_at)).toBe(t0);
    expect(receiver.on('/picky').filter((r) => r.body.includes('poison'))).toHaveLength(17);
  });

  it('disables an endpoint after 24 h of failures and emails the account once, even when the email is retried', async () => {
    const account = await signUp(h.app, 'Dead receiver');
    const endpoint = await createEndpoint(account, receiver.url('/dead'));
    receiver.answer('/dead', 500);
    const start = new Date(Date.now() + 20 * 24 * HOUR);
    const clock = clockedRunner(start);
    const eventId = (await publish(account, 'message.status', { messageId: 'm2', status: 'delivered' }, start))!;
    let disabledAt: number | null = null;
    for (let i = 0; i < 20 && disabledAt === null; i++) {
      const row = await deliveryRow(endpoint.id, eventId);
      clock.set(ms(row.next_attempt_at)!);
      const drained = await clock.runner.drainOnce();
      if (drained.disabledEndpoints === 1) disabledAt = clock.now.getTime();
    }
    // The first attempt at or past 24 h of failing (the 9th): 30 s + 2 min + 10 min + 1 h + 6 h × 4 → 25 h 12 min 30 s.
    expect(disabledAt! - start.getTime()).toBe(25 * HOUR + 12 * MINUTE + 30 * SECOND);
    expect(receiver.on('/dead')).toHaveLength(9);
    expect(ENDPOINT_DISABLE_AFTER_MS).toBe(24 * HOUR);
    expect(ENDPOINT_DISABLE_MIN_FAILURES).toBe(5);
    const view = await request(h.app).get(`/v1/webhook-endpoints/${endpoint.id}`).set(account.auth);
    expect(view.body).toMatchObject({
      status: 'disabled',
      disabledReason: 'failing_for_24_hours',
      disabledAt: new Date(disabledAt!).toISOString(),
    });

    // While disabled, nothing is attempted (its pending delivery waits, even when due) and new events are not queued for it.
    const before = receiver.on('/dead').length;
    expect(await publish(account, 'message.status', { messageId: 'm3', status: 'sent' }, clock.now)).toBeNull();
    clock.set(clock.now.getTime() + 6 * HOUR);
    expect((await clock.runner.drainOnce()).claimed).toBe(0);
    expect(receiver.on('/dead')).toHaveLength(before);
    expect(await deliveryRow(endpoint.id, eventId)).toMatchObject({ status: 'pending', next_attempt_at: null }); // parked

    const [owner] = await em().execute<{ email: string }[]>(
      'select email from users where id in (select user_id from account_memberships where account_id = ?)',
      [account.accountId],
    );
    expect(await clock.runner.notifyDisabledEndpoints()).toBe(1);
    expect(await clock.runner.notifyDisabledEndpoints()).toBe(0);
    // A crash after the provider took the email but before it was marked: the resend is the same email.
    await em().execute('update webhook_endpoints set disabled_notified_at = null where id = ?', [endpoint.id]);
    expect(await clock.runner.notifyDisabledEndpoints()).toBe(1);
    // (The owner's other email is sign-up's verification link.)
    const emails = (await sim.control.emails(owner!.email)).filter((e) => e.subject === 'A MassiveSMS webhook endpoint was disabled');
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      to: [owner!.email],
      subject: 'A MassiveSMS webhook endpoint was disabled',
      idempotencyKey: `webhook-endpoint-disabled:${endpoint.id}:${new Date(disabledAt!).toISOString()}`,
    });
    expect(emails[0]!.text).toContain(endpoint.id);
    expect(emails[0]!.html).toContain(endpoint.id);

    // Enabled again: the streak starts over and the waiting delivery goes.
    receiver.answer('/dead', 204);
    const enabled = await request(h.app).patch(`/v1/webhook-endpoints/${endpoint.id}`).set(account.auth).send({ status: 'active' });
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null, disabledAt: null });
    expect((await clock.runner.drainOnce()).delivered).toBe(1);
    expect(await deliveryRow(endpoint.id, eventId)).toMatchObject({ status: 'delivered', attempts: 10, last_status_code: 204 });
  });
});

describe('delivery by the workflow', () => {
  let delivery: { stop(): Promise<void> };
  beforeAll(async () => {
    delivery = await startWebhookDelivery(h);
  });
  afterAll(() => delivery.stop());

  it('starts the delivery workflow once, however often the worker starts', async () => {
    const first = await h.temporal.workflow.getHandle(WEBHOOK_DELIVERIES_WORKFLOW_ID).describe();
    await ensureWebhookDeliveriesWorkflow(h.temporal);
    const second = await h.temporal.workflow.getHandle(WEBHOOK_DELIVERIES_WORKFLOW_ID).describe();
    expect(second.runId).toBe(first.runId);
    expect(second.status.name).toBe('RUNNING');
  });

  it('delivers a published event signed with the Standard Webhooks scheme', async () => {
    const account = await signUp(h.app, 'Signed');
    const endpoint = await createEndpoint(account, receiver.url('/signed'));
    const data = { messageId: '0193a0f0-0000-7000-8000-000000000001', status: 'delivered', carrier: 'telnyx' };
    const eventId = (await publish(account, 'message.status', data))!;
    expect(eventId).toMatch(/^evt_[0-9a-f-]{36}$/);
    const [got] = await waitFor(() => (receiver.on('/signed').length ? receiver.on('/signed') : undefined), 'the signed delivery');
    expect(got!.headers['webhook-id']).toBe(eventId);
    const verified = new Webhook(endpoint.secret).verify(got!.body, {
      'webhook-id': String(got!.headers['webhook-id']),
      'webhook-timestamp': String(got!.headers['webhook-timestamp']),
      'webhook-signature': String(got!.headers['webhook-signature']),
    });
    expect(verified).toEqual({ type: 'message.status', timestamp: expect.any(String), data });
    // Another secret does not verify it.
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() =>
      new Webhook(other).verify(got!.body, {
        'webhook-id': String(got!.headers['webhook-id']),
        'webhook-timestamp': String(got!.headers['webhook-timestamp']),
        'webhook-signature': String(got!.headers['webhook-signature']),
      }),
    ).toThrow();
    const deliveries = await waitFor(async () => {
      const res = await request(h.app).get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(account.auth);
      return res.body.data?.[0]?.status === 'delivered' ? res.body : undefined;
    }, 'the delivery to be recorded');
    expect(deliveries.data).toHaveLength(1);
    expect(deliveries.data[0]).toMatchObject({
      id: eventId,
      eventType: 'message.status',
      status: 'delivered',
      attemptCount: 1,
      lastStatusCode: 200,
    });
    const [kept] = await em().execute<{ payload: Buffer | null }[]>('select payload from webhook_deliveries where event_id = ?', [
      eventUuidOf(eventId),
    ]);
    expect(kept!.payload).toBeNull(); // a finished delivery keeps no payload
    expect(deliveries.data[0].attempts).toEqual([
      { attempt: 1, at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) },
    ]);
    // The payload is sealed at rest: a message.inbound body never sits in clear.
    const marker = `inbound-body-${Date.now()}`;
    await publish(account, 'message.inbound', { messageId: 'm-in', from: '+14155550123', text: marker });
    const rows = await em().execute<{ dump: Buffer }[]>(`select convert_to(t::text, 'UTF8') as dump from webhook_deliveries t`);
    expect(Buffer.concat(rows.map((r) => r.dump)).includes(Buffer.from(marker))).toBe(false);
    await waitFor(() => receiver.on('/signed').find((r) => r.body.includes(marker)), 'the inbound event');
  });

  it('retries after two 500s at 30 s then 2 min, and lists the three attempts with their status codes', async () => {
    const account = await signUp(h.app, 'Flaky');
    const endpoint = await createEndpoint(account, receiver.url('/flaky'));
    receiver.answer('/flaky', 500, 500, 200);
    const eventId = (await publish(account, 'message.status', { messageId: 'm4', status: 'sent' }))!;
    for (const [attempts, wait] of [
      [1, 30 * SECOND],
      [2, 2 * MINUTE],
    ] as const) {
      const row = await waitFor(async () => {
        const r = await deliveryRow(endpoint.id, eventId);
        return r.attempts === attempts ? r : undefined;
      }, `attempt ${attempts}`);
      const times = await attemptTimes(endpoint.id, eventId);
      expect(row).toMatchObject({ status: 'pending', last_status_code: 500, last_error: null });
      expect(ms(row.next_attempt_at)! - times[attempts - 1]!).toBe(wait);
      // Time passes: the retry comes due now rather than in `wait`.
      await em().execute('update webhook_deliveries set next_attempt_at = now() where endpoint_id = ? and event_id = ?', [
        endpoint.id,
        eventUuidOf(eventId),
      ]);
    }
    const body = await waitFor(async () => {
      const res = await request(h.app).get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(account.auth);
      return res.body.data?.[0]?.status === 'delivered' ? res.body : undefined;
    }, 'the third attempt');
    expect(body.data[0]).toMatchObject({ id: eventId, status: 'delivered', attemptCount: 3, lastStatusCode: 200, nextAttemptAt: null });
    expect(body.data[0].attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(receiver.on('/flaky')).toHaveLength(3);
    expect(new Set(receiver.on('/flaky').map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
    expect(JSON.stringify(body)).not.toContain('secret-response-body');
  });

  it('pages deliveries newest first with a cursor', async () => {
    const account = await signUp(h.app, 'Pages');
    const endpoint = await createEndpoint(account, receiver.url('/pages'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await publish(account, 'message.status', { messageId: `p${i}`, status: 'sent' }))!);
    const first = await request(h.app).get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=2`).set(account.auth);
    expect(first.body.data.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    const second = await request(h.app)
      .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
      .query({ limit: 2, cursor: first.body.nextCursor })
      .set(account.auth);
    expect(second.body.data.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
  });
});
