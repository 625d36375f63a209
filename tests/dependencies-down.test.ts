import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import { startApiProcess, type ApiProcess } from './support/api-process';
import { startHarness, type Harness } from './support/harness';
import { call, type HttpAnswer } from './support/http-client';
import { checkAgainstLedger } from './support/ledger-check';
import { freshPhone } from './support/messaging';
import { startSendPathAfresh, waitFor } from './support/outbox';
import { obtainSenderNumber } from './support/sender-numbers';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { killHard, spawnWorkerProcess } from './support/worker-process';

/** The pools give up this fast, so an outage answers well inside any client's timeout. */
const ACQUIRE_TIMEOUT_MS = 2000;
/** What "within the request timeout" means here: the acquire timeout and a loaded machine's slack. */
const ANSWER_CEILING_MS = 15_000;

let sim: SimulatorProcess;
let h: Harness;
let acct: TestAccount;
let from: string;

beforeAll(async () => {
  sim = await startSimulatorProcess({ seed: 19 });
  h = await startHarness({ env: sim.env() });
  acct = await signUp(h.app, 'Outage');
  from = await obtainSenderNumber(h, acct, { sim });
});
afterAll(async () => {
  await h?.close();
  await sim?.stop();
});

function expectUnavailable(res: HttpAnswer): void {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.body.status).toBe(503);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.ts:\d+|ECONNREFUSED|127\.0\.0\.1/);
  expect(res.tookMs).toBeLessThan(ANSWER_CEILING_MS);
}

/** /readyz of the API once it answers 200 (on a loaded machine the first Temporal probe may outlast its 2 s ceiling). */
const readyAgain = (baseUrl: string) =>
  waitFor(
    () => call(baseUrl, 'GET', '/readyz'),
    (r) => r.status === 200,
    60_000,
  );

const running = (p: { pid: number }) => {
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('PostgreSQL down', () => {
  let db: TcpProxy;
  let api: ApiProcess;

  beforeAll(async () => {
    const url = new URL(inject('databaseUrl'));
    db = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(db.port);
    api = await startApiProcess({ DATABASE_URL: url.toString(), DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS) });
  });
  afterAll(async () => {
    await api?.stop();
    await db?.close();
  });

  const send = () => call(api.baseUrl, 'POST', '/v1/messages', { auth: acct.apiKey, body: { from, to: freshPhone(), body: 'outage' } });
  const contacts = () => call(api.baseUrl, 'GET', '/v1/contacts', { auth: acct.apiKey });

  it('answers 503 problem + Retry-After quickly while it is down and recovers without a restart', { timeout: 180_000 }, async () => {
    // Both pools hold live connections when the database goes: the ORM's (contacts) and pg's (the send's insert).
    expect((await contacts()).status).toBe(200);
    expect((await send()).status).toBe(202);
    // Ready first (on a loaded machine the first Temporal probe may take longer than its 2 s ceiling).
    expect((await readyAgain(api.baseUrl)).status).toBe(200);

    await db.cut();
    expectUnavailable(await call(api.baseUrl, 'GET', '/readyz'));
    for (let i = 0; i < 3; i++) {
      expectUnavailable(await contacts());
      expectUnavailable(await send());
    }
    expect(running(api)).toBe(true);

    await db.restore();
    expect((await readyAgain(api.baseUrl)).status).toBe(200);
    const afterContacts = await waitFor(contacts, (r) => r.status === 200, 30_000);
    expect(afterContacts.status).toBe(200);
    const afterSend = await waitFor(send, (r) => r.status === 202, 30_000);
    expect(afterSend.status, JSON.stringify(afterSend.body)).toBe(202);
    expect(running(api)).toBe(true);
  });
});

describe('Temporal down', () => {
  let temporal: TcpProxy;
  let api: ApiProcess;
  let worker: ChildProcess;

  beforeAll(async () => {
    const [host, port] = inject('temporalAddress').split(':');
    temporal = await startTcpProxy(host!, Number(port));
    await startSendPathAfresh(h.deps.pgPool);
    api = await startApiProcess({ ...sim.env(), TEMPORAL_ADDRESS: temporal.address });
    worker = spawnWorkerProcess({
      ...sim.env(),
      TEMPORAL_ADDRESS: temporal.address,
      CARRIER_TIMEOUT_MS: '2000',
      DISPATCH_RECONCILE_WAIT_MS: '1500',
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    if (worker) await killHard(worker);
    await api?.stop();
    await temporal?.close();
  });

  const status = async (ids: string[]) => {
    const { rows } = await h.deps.pgPool.query<{ status: string }>('select status from messages where id = any($1::uuid[])', [ids]);
    return rows.map((r) => r.status);
  };
  const sendOnce = (key: string, to: string) =>
    call(api.baseUrl, 'POST', '/v1/messages', {
      auth: acct.apiKey,
      body: { from, to, body: 'while temporal is down' },
      headers: { 'Idempotency-Key': key },
    });

  it(
    'takes one-off sends into the outbox, refuses workflow starts whole, and sends each exactly once when it is back',
    { timeout: 480_000 },
    async () => {
      await sim.control.setFaults({ seed: 19, rules: [], callbacks: { mode: 'none' } });
      // The path works end to end first (the worker, which bundles its workflows at start, is up and its shards drain).
      const first = await sendOnce(randomUUID(), freshPhone());
      expect(first.status).toBe(202);
      const firstId = first.body.id as string;
      expect(
        await waitFor(
          () => status([firstId]),
          (s) => s[0] === 'sent' || s[0] === 'delivered',
          240_000,
          500,
        ),
      ).toEqual([expect.stringMatching(/^(sent|delivered)$/)]);

      await temporal.cut();
      expectUnavailable(await call(api.baseUrl, 'GET', '/readyz'));
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const key = randomUUID();
        const to = freshPhone();
        const res = await sendOnce(key, to);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        // A careful client retrying the same request gets the same message, not a second one.
        const again = await sendOnce(key, to);
        expect(again.status).toBe(202);
        expect(again.body.id).toBe(res.body.id);
        ids.push(res.body.id as string);
      }
      // A request that must start a workflow is refused whole: 503, and no request row without its process.
      const dsrsBefore = await h.deps.pgPool.query<{ n: number }>(
        'select count(*)::int as n from data_subject_requests where account_id = $1',
        [acct.accountId],
      );
      expectUnavailable(
        await call(api.baseUrl, 'POST', '/v1/data-subject-requests', { auth: acct.apiKey, body: { type: 'access', phone: freshPhone() } }),
      );
      const dsrsAfter = await h.deps.pgPool.query<{ n: number }>(
        'select count(*)::int as n from data_subject_requests where account_id = $1',
        [acct.accountId],
      );
      expect(dsrsAfter.rows[0]!.n).toBe(dsrsBefore.rows[0]!.n);
      // The new messages wait in the outbox. A dispatcher activity already running when Temporal went may
      // still claim some (it works on the database), but none can be recorded as sent without Temporal.
      expect((await status(ids)).filter((x) => x !== 'queued' && x !== 'sending')).toEqual([]);

      await temporal.restore();
      const final = await waitFor(
        () => status(ids),
        (s) => s.every((x) => x === 'sent' || x === 'delivered'),
        150_000,
        500,
      );
      expect(final.filter((x) => x === 'sent' || x === 'delivered')).toHaveLength(ids.length);
      const verdict = await checkAgainstLedger(h.deps.pgPool, sim.control, [firstId, ...ids]);
      expect(verdict).toMatchObject({ messages: ids.length + 1, unfinished: 0, duplicates: 0, lost: 0, phantom: 0 });
      expect((await readyAgain(api.baseUrl)).status).toBe(200);
    },
  );
});
