import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testEnvironment } from './harness';

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
