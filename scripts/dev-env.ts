import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = realpathSync(join(__dirname, '..'));
const DATA_DIR = join(ROOT, '.data');

/**
 * The dev database belongs to this checkout, like `.data/master.key` does: a second checkout on the
 * same machine gets its own database instead of sharing one it cannot decrypt.
 */
export function devDatabaseNameFor(checkoutRoot: string): string {
  return `massivesms_${createHash('sha256').update(checkoutRoot).digest('hex').slice(0, 8)}`;
}

const devDatabaseName = devDatabaseNameFor(ROOT);

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
    DATABASE_URL: `postgres://massivesms_app@127.0.0.1:5432/${devDatabaseName}`,
    DATABASE_OWNER_URL: `postgres://postgres@127.0.0.1:5432/${devDatabaseName}`,
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    MASTER_KEY: readFileSync(keyFile, 'utf8').trim(),
    PORT: '3000',
    ...process.env,
  };
}

/** Migrations need the schema owner; the app never connects as it. */
export function ownerUrl(config: { DATABASE_OWNER_URL?: string | undefined }): string {
  if (!config.DATABASE_OWNER_URL) throw new Error('DATABASE_OWNER_URL is required to migrate (the schema owner role)');
  return config.DATABASE_OWNER_URL;
}

export const dataDir = DATA_DIR;
