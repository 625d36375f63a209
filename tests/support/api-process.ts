import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_HEAP_FLAG } from '../../api/heap-budget';
import { DIST_ENTRIES, REPO_ROOT } from '../../bench/product-build';
import { testEnvironment } from './harness';
import { freePort } from './free-port';

export interface ApiProcess {
  pid: number;
  baseUrl: string;
  /** The child's peak resident set size (VmHWM) since start or the last resetPeak(), in bytes. */
  peakRss(): number;
  /** Starts a new peak measurement (Linux: writing 5 to clear_refs resets VmHWM). */
  resetPeak(): void;
  /** Called with the exit code (null when a signal ended it) once the process ends. */
  onExit(listener: (code: number | null) => void): void;
  stop(): Promise<void>;
}

function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (seen.includes('"msg":"api listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the API process exited with ${code} before listening`)));
  });
}

/** Compiles the server code into dist/ as `npm run build` does first (incremental: fast when nothing changed). */
async function buildProduction(): Promise<string> {
  await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(REPO_ROOT, 'tsconfig.build.json')], {
    cwd: REPO_ROOT,
  });
  return DIST_ENTRIES.api;
}

/**
 * The real API process with its heap budget, on the run's database and Temporal, on a free port:
 * `api/server.ts` under tsx, or with `build: 'dist'` the compiled server as `npm start` runs it
 * (for measuring its memory: tsx's compiler holds ~40 MB that production never carries).
 */
export async function startApiProcess(env: Record<string, string> = {}, build: 'tsx' | 'dist' = 'tsx'): Promise<ApiProcess> {
  const port = await freePort();
  const entry = build === 'dist' ? [await buildProduction()] : ['--import', 'tsx', join(REPO_ROOT, 'api', 'server.ts')];
  const child = spawn(process.execPath, entry, {
    env: {
      ...process.env,
      NODE_OPTIONS: API_HEAP_FLAG,
      ...testEnvironment({ LOG_LEVEL: 'info', PORT: String(port), ...env }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForListening(child);
  const pid = child.pid!;
  return {
    pid,
    baseUrl: `http://127.0.0.1:${port}`,
    peakRss() {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!hwm) throw new Error('no VmHWM in /proc status');
      return Number(hwm[1]) * 1024;
    },
    resetPeak() {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    },
    onExit(listener) {
      if (child.exitCode !== null || child.signalCode !== null) listener(child.exitCode);
      else child.once('exit', (code) => listener(code));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
