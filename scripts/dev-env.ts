import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA_DIR = join(__dirname, '..', '.data');

/**
 * The dev stack's environment: whatever the shell sets wins; otherwise local defaults and a master
 * key generated once and kept in .data/ (git-ignored), so restarts can still decrypt old data.
 */
export function devEnvironment(): NodeJS.ProcessEnv {
  mkdirSync(DATA_DIR, { recursive: true });
  const keyFile = join(DATA_DIR, 'master.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  return {
    NODE_ENV: 'development',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/massivesms',
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    MASTER_KEY: readFileSync(keyFile, 'utf8').trim(),
    PORT: '3000',
    ...process.env,
  };
}

export const dataDir = DATA_DIR;
