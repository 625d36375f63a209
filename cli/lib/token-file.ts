import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './cli-error';

/** What `login` keeps: the token, the API it belongs to (never sent elsewhere), and when it expires. */
export interface StoredStaffToken {
  api: string;
  token: string;
  expiresAt: string;
}

const defaultDirectory = () => join(homedir(), '.config', 'massivesms');

/** `$MASSIVESMS_STAFF_TOKEN_FILE`, or `~/.config/massivesms/staff-token`. */
export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MASSIVESMS_STAFF_TOKEN_FILE || join(defaultDirectory(), 'staff-token');
}

/**
 * Writes the token readable by this user only: the file 0600 (written to a 0600 temporary file and
 * renamed, so it is never readable by others, not even for a moment), its directory 0700 when it
 * is ours to create (or our default directory).
 */
export function saveToken(path: string, stored: StoredStaffToken): void {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (directory === defaultDirectory()) chmodSync(directory, 0o700);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

export function loadToken(path: string): StoredStaffToken | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const stored = JSON.parse(text) as StoredStaffToken;
    if (typeof stored.token === 'string' && typeof stored.api === 'string') return stored;
  } catch {
    // unreadable: treated as no token below
  }
  throw new CliError(`${path} is not a token file written by this CLI; log in again`);
}

export function forgetToken(path: string): void {
  rmSync(path, { force: true });
}
