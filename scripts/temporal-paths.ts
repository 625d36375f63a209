import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TemporalPaths {
  cli: string;
  testServer: string;
}

/** Paths written by scripts/install-temporal.sh (run it first). */
export function temporalPaths(): TemporalPaths {
  return JSON.parse(readFileSync(join(__dirname, '..', '.tools', 'temporal-paths.json'), 'utf8')) as TemporalPaths;
}
