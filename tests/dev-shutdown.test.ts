import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** Gone, or a zombie waiting for a reaper: either way it no longer runs. */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

/** Every pid a test saw, so a failing run does not leave sleepers behind. */
const seen: number[] = [];
afterEach(() => {
  for (const pid of seen.splice(0).filter(running)) process.kill(pid, 'SIGKILL');
});

async function launchAndSignal(signal: NodeJS.Signals): Promise<{ pids: number[]; code: number | null }> {
  const launcher = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'child-group-launcher.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  seen.push(launcher.pid!);
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', resolve));
  const pids: number[] = [];
  let buffered = '';
  await new Promise<void>((resolve) => {
    launcher.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      pids.push(...lines.map(Number));
      seen.push(...lines.map(Number));
      // Two children, each reporting itself and its own child.
      if (pids.length === 4) resolve();
    });
  });
  expect(pids.every(running)).toBe(true);
  launcher.kill(signal);
  return { pids, code: await exited };
}

describe('dev launcher shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the launcher alone stops every child and grandchild', async (signal) => {
    const { pids, code } = await launchAndSignal(signal);
    expect(code).toBe(0);
    expect(pids.filter(running)).toEqual([]);
  });
});
