/**
 * The benches measure what production runs: `npm run build` (tsc into dist/, then the workflow
 * bundle), then the API and the worker started from dist/ with plain `node`, as `npm start` and
 * `npm run start:worker` do. Every bench line says so with `"build":"dist"`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..');

/** What each bench's result line carries. */
export const BUILD_FIELD = { build: 'dist' } as const;

/** The compiled entry points, as package.json's `start` and `start:worker` name them. */
export const DIST_ENTRIES = {
  api: join(REPO_ROOT, 'dist', 'api', 'server.js'),
  worker: join(REPO_ROOT, 'dist', 'workers', 'worker.js'),
} as const;

/** Runs `npm run build` in the checkout; throws (with its output) if the build fails. */
export function buildProduct(log: (msg: string) => void): void {
  const started = performance.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  log(`npm run build: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
