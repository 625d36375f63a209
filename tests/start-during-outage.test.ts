import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { waitAtStart } from '../lib/wait-at-start';
import { createLogger } from '../lib/logger';
import { testEnvironment } from './support/harness';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { killHard } from './support/worker-process';

const silent = createLogger('silent', 'test');
const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const isUnavailable = (err: unknown) => err === unavailable;

/** A clock that only moves when the code under test sleeps. */
function virtualTime() {
  let now = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => now,
    sleep: (ms: number) => {
      pauses.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('waitAtStart', () => {
  it('retries a dependency that is down, pausing 0.25 s doubling to 5 s, until it answers', async () => {
    const time = virtualTime();
    let calls = 0;
    const value = await waitAtStart('postgres', () => (++calls < 9 ? Promise.reject(unavailable) : Promise.resolve('up')), isUnavailable, {
      waitMs: 60_000,
      logger: silent,
      ...time,
    });
    expect(value).toBe('up');
    expect(time.pauses).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('gives up with the dependency’s error once the next pause would pass the wait', async () => {
    const time = virtualTime();
    await expect(
      waitAtStart('postgres', () => Promise.reject(unavailable), isUnavailable, { waitMs: 10_000, logger: silent, ...time }),
    ).rejects.toBe(unavailable);
    expect(time.pauses).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('throws any other failure at once', async () => {
    const time = virtualTime();
    const broken = new Error('password authentication failed');
    await expect(
      waitAtStart('postgres', () => Promise.reject(broken), isUnavailable, { waitMs: 60_000, logger: silent, ...time }),
    ).rejects.toBe(broken);
    expect(time.pauses).toEqual([]);
  });
});

describe('a worker process started while PostgreSQL and Temporal are down', () => {
  const proxies: TcpProxy[] = [];
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child) await killHard(child);
    for (const p of proxies.splice(0)) await p.close();
  });

  it('waits for each and comes up when they do, without exiting', async () => {
    const database = new URL(inject('databaseUrl'));
    const [temporalHost, temporalPort] = inject('temporalAddress').split(':');
    const pgProxy = await startTcpProxy(database.hostname, Number(database.port || 5432));
    const temporalProxy = await startTcpProxy(temporalHost!, Number(temporalPort));
    proxies.push(pgProxy, temporalProxy);
    await pgProxy.cut();
    await temporalProxy.cut();
    database.port = String(pgProxy.port);

    child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'workers', 'worker.ts')], {
      env: {
        ...process.env,
        ...testEnvironment({
          LOG_LEVEL: 'info',
          DATABASE_URL: database.toString(),
          TEMPORAL_ADDRESS: temporalProxy.address,
          WORKER_ROLES: 'imports',
        }),
      },
      // Its stdout (at info, which the test reads) and the SDK's stderr are captured; only the SDK's
      // warnings and errors reach the run's output.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split('\n');
      for (const line of lines) if (/\b(WARN|ERROR)\b/.test(line)) process.stderr.write(`${line}\n`);
    });
    let output = '';
    let exit: string | null = null;
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code, signal) => (exit = String(signal ?? code)));
    const seen = (text: string) =>
      expect.poll(() => (exit !== null ? `exited ${exit}` : output.includes(text)), { timeout: 30_000, interval: 100 }).toBe(true);

    await seen('"dependency":"postgres"');
    await pgProxy.restore();
    await seen('"dependency":"temporal"');
    await temporalProxy.restore();
    await seen('"msg":"worker started"');
    expect(exit).toBe(null);
  });
});
