import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testEnvironment } from './harness';

/**
 * The send path as the crash tests run it: carrier calls time out after 1 s and ambiguous ones are
 * reconciled after 1.5 s, two dispatcher shards, and carrier callbacks sent nowhere.
 */
export const CRASH_TEST_SEND_ENV = {
  CARRIER_TIMEOUT_MS: '1000',
  DISPATCH_RECONCILE_WAIT_MS: '1500',
  DISPATCH_SHARDS: '2',
  PUBLIC_BASE_URL: 'http://127.0.0.1:9',
} as const;

/** A real worker process (the one `npm run dev` starts), so a test can SIGKILL it like a crashed host. */
export function spawnWorkerProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'workers', 'worker.ts')], {
    env: { ...process.env, ...testEnvironment(env) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** SIGKILLs the process and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
