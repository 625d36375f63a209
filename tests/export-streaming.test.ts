import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import request from 'supertest';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { phoneHash } from '../lib/crypto/phone-hash';
import { TerminationKey } from '../services/termination/termination-key';
import { signTerminationToken } from '../services/termination/termination-tokens';
import { terminationWorkflowId } from '../workflows/lifecycle/termination';
import { expectProblem, signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/webhook-receiver';

/** Far more than the loopback socket buffers of a reader that never reads (≈ 20 MB of NDJSON). */
const SEEDED_MESSAGES = 60_000;
const EXPORT_POOL_MAX = 2;
const ACQUIRE_TIMEOUT_MS = 2000;

interface Listening {
  h: Harness;
  server: Server;
  port: number;
}

async function listen(env: Record<string, string>): Promise<Listening> {
  const h = await startHarness({
    env: { EXPORT_POOL_MAX: String(EXPORT_POOL_MAX), DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS), ...env },
  });
  const server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { h, server, port: (server.address() as AddressInfo).port };
}

async function close({ h, server }: Listening): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
}

/** A terminated account with a long message history, and its export link's token. */
async function terminatedAccountWithHistory(h: Harness): Promise<{ account: TestAccount; token: string }> {
  const account = await signUp(h.app, 'Leaving with history');
  await h.deps.pgPool.query(
    `insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, created_at, updated_at)
     select gen_random_uuid(), $1, 'outbound', 'api', $2, '+14155550100', 'GSM-7', 1, 'delivered', now(), now()
     from generate_series(1, $3)`,
    [account.accountId, randomBytes(32), SEEDED_MESSAGES],
  );
  const terminated = await request(h.app).post('/v1/account/termination').set(account.auth).send({ disposition: 'return_then_delete' });
  expect(terminated.status).toBe(201);
  const key = await new TerminationKey(h.deps.pgPool, h.deps.keys.master).get();
  // The emailed link's token: bound to this termination by its deletion deadline.
  const { rows } = await h.deps.pgPool.query<{ delete_by: Date }>('select delete_by from account_terminations where account_id = $1', [
    account.accountId,
  ]);
  return { account, token: signTerminationToken(key, 'export', account.accountId, rows[0]!.delete_by) };
}

/**
 * A client that asks for the export and never reads a byte: paused before it connects, so Node
 * never reads from the kernel; the kernel buffers fill, and the server's writes block.
 */
function stalledDownload(port: number, token: string): Socket {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.pause();
  socket.write(`GET /v1/account/export/${token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return socket;
}

/** The test's own connection: watching the server must not depend on any pool under test. */
const observer = new Pool({ connectionString: inject('databaseUrl'), max: 1 });
afterAll(() => observer.end());

/** Export transactions parked between two pages of messages for over a second: the server is waiting for its reader. */
async function stalledExportSessions(): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
     where datname = current_database() and state = 'idle in transaction' and query like '%from messages where account_id = $1 and id > $2%'
       and clock_timestamp() - state_change > interval '1 second'`,
  );
  return rows[0]!.n;
}

const inUse = (h: Harness) => h.deps.exportPool.totalCount - h.deps.exportPool.idleCount;

describe('stalled export downloads', () => {
  let api: Listening;
  let exporter: { account: TestAccount; token: string };
  let sender: TestAccount;
  let senderPhone: string;

  beforeAll(async () => {
    api = await listen({});
    exporter = await terminatedAccountWithHistory(api.h);
    sender = await signUp(api.h.app, 'Still sending');
    senderPhone = await obtainSenderNumber(api.h, sender);
  });
  afterAll(async () => {
    await api.h.temporal.workflow
      .getHandle(terminationWorkflowId(exporter.account.accountId))
      .terminate('test over')
      .catch(() => undefined);
    await close(api);
  });

  it('four downloads that stop reading leave POST /v1/messages of another account answering 202 in < 1 s; disconnecting frees their connections', async () => {
    const downloads = Array.from({ length: 4 }, () => stalledDownload(api.port, exporter.token));
    try {
      await waitFor(async () => ((await stalledExportSessions()) >= EXPORT_POOL_MAX ? true : undefined), 'the downloads to stall');

      const started = performance.now();
      const sent = await request(api.h.app)
        .post('/v1/messages')
        .set(sender.auth)
        .send({ to: freshPhone('+1628'), from: senderPhone, body: 'still here' });
      const elapsedMs = performance.now() - started;
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      expect(elapsedMs).toBeLessThan(1000);
      // Two hold the export pool's connections, blocked on their readers; the other two wait for one (then get 503).
      expect(await stalledExportSessions()).toBe(EXPORT_POOL_MAX);
      expect(inUse(api.h)).toBe(EXPORT_POOL_MAX);
    } finally {
      for (const d of downloads) d.destroy();
    }
    // Gone clients: each download's pipeline ends, its transaction is rolled back and its connection is back.
    await waitFor(
      async () => ((await stalledExportSessions()) === 0 && inUse(api.h) === 0 ? true : undefined),
      'the connections to come back',
      10_000,
    );
    expect(api.h.deps.exportPool.waitingCount).toBe(0);
  });

  it('with every export connection held, one more export answers 503 database_busy with Retry-After, after the acquire timeout', async () => {
    const downloads = Array.from({ length: EXPORT_POOL_MAX }, () => stalledDownload(api.port, exporter.token));
    try {
      await waitFor(async () => ((await stalledExportSessions()) === EXPORT_POOL_MAX ? true : undefined), 'the downloads to stall');
      const started = performance.now();
      const refused = await request(api.h.app).get(`/v1/account/export/${exporter.token}`);
      const elapsedMs = performance.now() - started;
      expectProblem(refused, 503, 'database_busy');
      expect(refused.headers['retry-after']).toBe('2');
      expect(elapsedMs).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS);
      expect(elapsedMs).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1000);
    } finally {
      for (const d of downloads) d.destroy();
    }
    await waitFor(() => (inUse(api.h) === 0 ? true : undefined), 'the connections to come back', 10_000);
  });

  it('a whole download still arrives: every record, one per line', async () => {
    const res = await request(api.h.app).get(`/v1/account/export/${exporter.token}`).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.text.split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline: the stream was not cut
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.filter((t) => t === 'message')).toHaveLength(SEEDED_MESSAGES);
    expect(types[0]).toBe('account');
    expect(inUse(api.h)).toBe(0);
  });
});

describe('the DSR export', () => {
  let api: Listening;

  beforeAll(async () => {
    api = await listen({});
  });
  afterAll(() => close(api));

  it("streams a subject's whole history across pages as one JSON document, messages in id order", async () => {
    const account = await signUp(api.h.app, 'Asked for access');
    const hash = phoneHash(api.h.deps.keys.phoneHashKey, '+14155550188');
    const { rows } = await api.h.deps.pgPool.query<{ id: string }>(
      `insert into messages (id, account_id, direction, kind, recipient_hash, sender, encoding, segments, status, created_at, updated_at)
       select gen_random_uuid(), $1, 'outbound', 'api', $2, '+14155550100', 'GSM-7', 1, 'delivered', now(), now()
       from generate_series(1, 2500) returning id`,
      [account.accountId, hash],
    );
    const requestId = randomUUID();
    await api.h.deps.pgPool.query(
      `insert into data_subject_requests (id, account_id, origin, type, status, subject_phone_hash, created_by_type, created_by_id,
         received_at, due_at, updated_at)
       values ($1, $2, 'customer', 'access', 'completed', $3, 'api_key', $4, now(), now() + interval '30 days', now())`,
      [requestId, account.accountId, hash, account.apiKeyId],
    );
    const res = await request(api.h.app).get(`/v1/data-subject-requests/${requestId}/export`).set(account.auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toMatchObject({ requestId, subject: { phone: null }, contact: null, lists: [], optOut: null, restricted: null });
    expect((res.body as { messages: { id: string }[] }).messages.map((m) => m.id)).toEqual(rows.map((r) => r.id).sort());
    expect(inUse(api.h)).toBe(0);
  });
});

describe('a download that stays connected but stops reading', () => {
  let api: Listening;
  let exporter: { account: TestAccount; token: string };

  beforeAll(async () => {
    api = await listen({ EXPORT_STALL_SECONDS: '2' });
    exporter = await terminatedAccountWithHistory(api.h);
  });
  afterAll(async () => {
    await api.h.temporal.workflow
      .getHandle(terminationWorkflowId(exporter.account.accountId))
      .terminate('test over')
      .catch(() => undefined);
    await close(api);
  });

  it('is cut off after EXPORT_STALL_SECONDS: its connection and snapshot are released, and the client gets a cut stream', async () => {
    const download = stalledDownload(api.port, exporter.token);
    await waitFor(async () => ((await stalledExportSessions()) === 1 ? true : undefined), 'the download to stall');
    const stalledAt = performance.now();
    // Released by the server alone: this client is still connected and still not reading.
    await waitFor(async () => ((await stalledExportSessions()) === 0 && inUse(api.h) === 0 ? true : undefined), 'the release');
    expect(performance.now() - stalledAt).toBeLessThan(2000 + 5000);
    expect(download.destroyed).toBe(false);
    // Read now: what was buffered arrives, then the server's close, without the chunked body's last chunk.
    const chunks: Buffer[] = [];
    download.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((resolve) => download.once('close', resolve));
    download.resume();
    await closed;
    const raw = Buffer.concat(chunks).toString('latin1');
    expect(raw.startsWith('HTTP/1.1 200 OK')).toBe(true);
    expect(raw.endsWith('\r\n0\r\n\r\n')).toBe(false);
  });
});

describe('every pool gives up in time', () => {
  let api: Listening;
  let account: TestAccount;

  beforeAll(async () => {
    api = await listen({ DATABASE_POOL_MAX: '1' });
    account = await signUp(api.h.app, 'Busy');
  });
  afterAll(() => close(api));

  it('the ORM pool: a request that finds its one connection held answers 503 database_busy, not a hang', async () => {
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    let holding!: () => void;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    const holder = api.h.deps.orm.em.fork().transactional(async () => {
      holding();
      await held;
    });
    await isHolding;
    try {
      const started = performance.now();
      const res = await request(api.h.app).get('/v1/contacts').set(account.auth);
      const elapsedMs = performance.now() - started;
      expectProblem(res, 503, 'database_busy');
      expect(res.headers['retry-after']).toBe('2');
      expect(elapsedMs).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1000);
    } finally {
      releaseHeld();
      await holder;
    }
    expect((await request(api.h.app).get('/v1/contacts').set(account.auth)).status).toBe(200);
  });
});
