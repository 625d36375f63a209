import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const CONFIG = join(ROOT, 'web', 'vite.config.mts');

/** Vite's command line for the console (web/), as `npm run build:web` runs it, into `outDir` (default dist/web). */
export function consoleBuildCommand(outDir?: string, watch = false) {
  return {
    args: [VITE, 'build', ...(watch ? ['--watch'] : []), '--config', CONFIG, ...(outDir ? ['--outDir', outDir] : [])],
    // React's production build and JSX runtime whatever NODE_ENV the caller runs with (vitest sets "test").
    env: { ...process.env, NODE_ENV: 'production' },
  };
}

/** Builds the console once; throws when it does not build. */
export function buildConsole(outDir?: string): void {
  const { args, env } = consoleBuildCommand(outDir);
  const built = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (built.status !== 0) throw new Error(`the console (web/) did not build (exit ${built.status})`);
}
