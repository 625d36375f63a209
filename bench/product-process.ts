/**
 * The API and the worker as the separate processes they are in production, from the build with
 * plain `node` (`npm start` with its heap budget, `npm run start:worker`), so each one's CPU and
 * memory is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { API_HEAP_FLAG } from '../api/heap-budget';
import { DIST_ENTRIES } from './product-build';

const TICKS_PER_S = 100; // USER_HZ on Linux

export interface ProductProcess {
  name: string;
  pid: number;
  /** CPU seconds of all its threads so far (/proc/<pid>/stat utime + stime). */
  cpuSeconds(): number;
  /** Resident set now, in bytes. */
  rss(): number;
  /** Peak resident set (VmHWM) since start or the last resetPeak(), in bytes. */
  peakRss(): number;
  /** Starts a new peak measurement (Linux: writing 5 to clear_refs resets VmHWM). */
  resetPeak(): void;
  stop(): Promise<void>;
}

/** The worker logs "worker started" once it polls; the API, "api listening". Lines are pino JSON on stdout. */
function waitForLog(child: ChildProcess, name: string, message: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (seen.includes(`"msg":"${message}"`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the ${name} process exited with ${code} before it was ready`)));
  });
}

/** The Temporal SDK's own INFO chatter on stderr (LOG_LEVEL=info is needed for the readiness line) is dropped. */
function forwardWarnings(child: ChildProcess): void {
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (/\[(WARN|ERROR)\]|Error/.test(line)) process.stderr.write(`[${child.pid}] ${line}\n`);
  });
}

/**
 * Starts `api` or `worker` from dist/ with `env`; resolves once it says it is ready. With
 * `cpuProfileDir`, V8 writes a .cpuprofile per thread there when the process exits.
 */
export async function startProductProcess(
  kind: 'api' | 'worker',
  env: Record<string, string>,
  cpuProfileDir?: string,
): Promise<ProductProcess> {
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...(kind === 'api' ? [API_HEAP_FLAG] : []), ...profile, DIST_ENTRIES[kind]], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  forwardWarnings(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitForLog(child, kind, kind === 'api' ? 'api listening' : 'worker started');
  const pid = child.pid!;
  return {
    name: kind,
    pid,
    cpuSeconds() {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    },
    rss() {
      return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    },
    peakRss() {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!hwm) throw new Error('no VmHWM in /proc status');
      return Number(hwm[1]) * 1024;
    },
    resetPeak() {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
