/**
 * A Temporal dev server of our own whose state lives in a SQLite file, so a chaos run can SIGKILL it
 * and start it again on the same ports with every workflow still there. Started as scripts/dev.ts
 * starts it (the `.tools` CLI, our search attributes); never any Temporal we did not start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../tests/support/free-port';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { temporalPaths } from './temporal-paths';

export interface PrivateTemporal {
  /** host:port of the frontend (gRPC). */
  readonly address: string;
  readonly dbFile: string;
  /** Whether the frontend answers GetSystemInfo now. */
  isUp(): Promise<boolean>;
  /** SIGKILL, as a crashed host would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and file; resolves once the frontend answers. */
  start(): Promise<void>;
  /** Kills it and removes its folder. */
  destroy(): Promise<void>;
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '1s' });
    await connection.workflowService.getSystemInfo({});
    // The namespace is registered a moment after the frontend answers.
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function startPrivateTemporal(readyTimeoutMs = 120_000): Promise<PrivateTemporal> {
  const root = mkdtempSync(join(tmpdir(), 'massivesms-temporal-'));
  const dbFile = join(root, 'temporal.db');
  const [port, uiPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--headless',
    '--log-level',
    'error',
    ...SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  let child: ChildProcess | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const killSync = () => {
    if (alive()) child!.kill('SIGKILL');
  };
  process.on('exit', killSync);

  const start = async () => {
    if (alive()) throw new Error('the private Temporal server is already running');
    const started = spawn(temporalPaths().cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    let stderr = '';
    started.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await answers(address))) {
      if (started.exitCode !== null || started.signalCode !== null)
        throw new Error(`the private Temporal server exited (${started.exitCode ?? started.signalCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the private Temporal server did not answer on ${address}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const kill = async () => {
    if (!alive()) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
  };

  try {
    await start();
  } catch (err) {
    await kill();
    process.off('exit', killSync);
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    address,
    dbFile,
    isUp: () => answers(address),
    kill,
    start,
    async destroy() {
      await kill();
      process.off('exit', killSync);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
