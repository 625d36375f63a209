import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process';
import { startHarness, type Harness } from './support/harness';
import { checkAgainstLedger } from './support/ledger-check';
import { insertQueuedMessages, startSendPathAfresh, waitFor } from './support/outbox';
import { signUp } from './support/accounts';
import { startSimulatorProcess, type SimulatorProcess } from './support/simulator-process';
import { killHard, spawnWorkerProcess } from './support/worker-process';
import { SHUTDOWN_FORCE_AFTER_GRACE_MS } from '../workers/shutdown-bounds';

/** A raw HTTP/1.1 connection: what was received, whether it ended cleanly (FIN) or with an error (reset). */
interface RawConnection {
  socket: Socket;
  received(): string;
  /** Resolves with the error (e.g. ECONNRESET) or null when the peer closed the connection in order. */
  ended: Promise<Error | null>;
}

async function open(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
  const ended = new Promise<Error | null>((resolve) => {
    socket.once('error', resolve);
    socket.once('end', () => resolve(null));
  });
  return { socket, received: () => data, ended };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a new connection to `port` is refused now. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

const portOf = (api: ApiProcess) => Number(new URL(api.baseUrl).port);
const SIGNUP = () =>
  JSON.stringify({
    accountName: 'Drain',
    email: `owner-${randomBytes(6).toString('hex')}@example.com`,
    password: 'correct horse battery staple',
  });

describe('SIGTERM to an API process', () => {
  const started: ApiProcess[] = [];
  afterEach(async () => {
    for (const api of started.splice(0)) await api.stop().catch(() => undefined);
  });

  it(
    'stops accepting, finishes the request in flight, closes keep-alive connections cleanly and exits 0',
    { timeout: 120_000 },
    async () => {
      const api = await startApiProcess({ SHUTDOWN_GRACE_SECONDS: '30' });
      started.push(api);
      const exited = new Promise<number | null>((resolve) => api.onExit(resolve));
      const port = portOf(api);

      // An idle keep-alive connection, its request answered.
      const idle = await open(port);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n');
      await until(() => idle.received().includes('{"status":"ok"}'), 'the health answer');

      // A request in flight: its headers taken (100 Continue), half its body sent.
      const body = SIGNUP();
      const half = Math.floor(body.length / 2);
      const busy = await open(port);
      busy.socket.write(
        `POST /v1/accounts HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
      );
      await until(() => busy.received().includes('100 Continue'), 'the 100 Continue');
      busy.socket.write(body.slice(0, half));

      process.kill(api.pid, 'SIGTERM');
      // New connections are refused from now on, while the request in flight is still open.
      await waitFor(
        () => refused(port),
        (r) => r,
        30_000,
        50,
      ).then((r) => expect(r).toBe(true));
      // The idle keep-alive connection is closed in order (FIN, no reset).
      expect(await idle.ended).toBeNull();

      busy.socket.write(body.slice(half));
      expect(await busy.ended).toBeNull();
      const answer = busy.received();
      expect(answer).toMatch(/HTTP\/1\.1 201 Created/);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(await exited).toBe(0);
    },
  );

  it('cuts a request still running at the end of the grace period and exits 0 then', { timeout: 120_000 }, async () => {
    const api = await startApiProcess({ SHUTDOWN_GRACE_SECONDS: '2' });
    started.push(api);
    const exited = new Promise<number | null>((resolve) => api.onExit(resolve));
    const stalled = await open(portOf(api));
    stalled.socket.write(
      `POST /v1/accounts HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`,
    );
    await until(() => stalled.received().includes('100 Continue'), 'the 100 Continue');
    const signalled = Date.now();
    process.kill(api.pid, 'SIGTERM');
    expect(await exited).toBe(0);
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(20_000);
    await stalled.ended;
  });
});

describe('SIGTERM to a worker process', () => {
  let sim: SimulatorProcess;
  let h: Harness;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    sim = await startSimulatorProcess({ seed: 7 });
    h = await startHarness({ env: sim.env() });
    await startSendPathAfresh(h.deps.pgPool);
  });
  afterAll(async () => {
    if (worker) await killHard(worker);
    await h?.close();
    await sim?.stop();
  });

  it('lets the send in flight finish, records it, and exits 0 within its bound', { timeout: 420_000 }, async () => {
    // Each carrier call takes 14 s: the signal lands mid-call, and the call outlasts the 10 s a worker
    // without a grace period would still wait before exiting (SHUTDOWN_FORCE_AFTER_GRACE_MS), so only the
    // drain lets it finish.
    expect(SHUTDOWN_FORCE_AFTER_GRACE_MS).toBe(10_000);
    await sim.control.setFaults({ seed: 7, rules: [], latencyMs: { telnyx: [14_000, 14_000] }, callbacks: { mode: 'none' } });
    const acct = await signUp(h.app, 'Drain');
    const [id] = await insertQueuedMessages(h.deps, [
      { accountId: acct.accountId, from: '+14155550199', to: '+14155557001', body: 'drain me' },
    ]);
    worker = spawnWorkerProcess({
      ...sim.env(),
      SHUTDOWN_GRACE_SECONDS: '30',
      CARRIER_TIMEOUT_MS: '20000',
      DISPATCH_SHARDS: '1',
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    });
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', resolve));
    // The attempt is written 'pending' just before the carrier call: from then on the call is in flight.
    const pending = async () =>
      (
        await h.deps.pgPool.query<{ n: number }>(
          `select count(*)::int as n from message_attempts where message_id = $1 and outcome = 'pending'`,
          [id],
        )
      ).rows[0]!.n;
    // The worker bundles its workflows at start: minutes on a loaded machine.
    expect(await waitFor(pending, (n) => n === 1, 300_000, 100)).toBe(1);
    const signalled = Date.now();
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(40_000);

    // The stopped worker finished the call and recorded it: nothing was left for another worker to reconcile.
    const { rows } = await h.deps.pgPool.query<{ status: string }>('select status from messages where id = $1', [id]);
    expect(rows[0]!.status).toBe('sent');
    const attempts = await h.deps.pgPool.query<{ outcome: string }>('select outcome from message_attempts where message_id = $1', [id]);
    expect(attempts.rows.map((r) => r.outcome)).toEqual(['accepted']);
    const verdict = await checkAgainstLedger(h.deps.pgPool, sim.control, [id!]);
    expect(verdict).toMatchObject({ messages: 1, unfinished: 0, duplicates: 0, lost: 0, phantom: 0 });
  });
});
