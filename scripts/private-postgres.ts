/**
 * A PostgreSQL cluster of our own (Debian's server binaries: initdb into a temporary folder, a free
 * loopback port) that a chaos run may stop with `pg_ctl -m immediate` and start again on the same
 * port and data. Never the machine's shared cluster. scripts/ensure-postgres-server.sh installs the
 * binaries when they are missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../tests/support/free-port';

const run = promisify(execFile);

/** The newest /usr/lib/postgresql/<version>/bin holding initdb, or PG_BIN when set. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/ensure-postgres-server.sh');
  return join(root, versions[0]!, 'bin');
}

/** initdb and the server refuse to run as root: as root, they run as the `postgres` system user. */
function asServerUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PrivatePostgres {
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication on loopback). */
  url(database: string): string;
  /** Whether the server answers a query now. */
  isUp(): Promise<boolean>;
  /** `pg_ctl -m immediate stop`: every backend dies at once, as in a crash (WAL recovery on the next start). */
  stopImmediate(): Promise<void>;
  /** Starts the same cluster again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server (immediate) and removes its folder. */
  destroy(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /** Extra postgresql.conf lines' settings (name → value as written in the file). */
  settings?: Record<string, string>;
}

/**
 * Creates and starts a private cluster. `fsync` is off: an immediate stop kills processes, not the
 * kernel, so written WAL survives in the page cache and crash recovery still replays it (a commit
 * still writes its WAL before it returns).
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const root = mkdtempSync(join(tmpdir(), 'massivesms-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const user = asServerUser();
  if (user) chownSync(root, user.uid, user.gid);
  const exec = (file: string, args: string[]) =>
    run(join(bin, file), args, { ...(user ?? {}), cwd: root, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } });

  let removed = false;
  const stopSync = () => {
    if (removed) return;
    removed = true;
    try {
      execFileSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop'], { ...(user ?? {}), stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(root, { recursive: true, force: true });
  };
  // A bench that dies (an uncaught error, process.exit) must not leave a cluster running behind it.
  process.once('exit', stopSync);

  try {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
    const port = await freePort();
    const settings: Record<string, string> = {
      port: String(port),
      listen_addresses: `'127.0.0.1'`,
      unix_socket_directories: `'${root}'`,
      fsync: 'off',
      full_page_writes: 'off',
      max_connections: '200',
      shared_buffers: `'128MB'`,
      log_min_messages: 'warning',
      ...options.settings,
    };
    writeFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join(''),
    );
    if (user) chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);

    const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
    const isUp = async () => {
      const client = new Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    const start = async () => {
      await exec('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '120', 'start']);
    };
    await start();
    return {
      port,
      dataDir,
      url,
      isUp,
      start,
      async stopImmediate() {
        await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      },
      async destroy() {
        process.off('exit', stopSync);
        if (removed) return;
        removed = true;
        await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.off('exit', stopSync);
    stopSync();
    throw err;
  }
}
