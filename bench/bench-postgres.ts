import { randomBytes } from 'node:crypto';
import { dropDatabase } from '../db/create-database';
import { startPrivatePostgres } from '../scripts/private-postgres';

export interface BenchDatabase {
  ownerUrl: string;
  /** `"machine"` or `"private"`: printed in the bench's line. */
  server: 'machine' | 'private';
  close(): Promise<void>;
}

/**
 * Where a bench's database lives. By default a private cluster configured as production runs one:
 * autovacuum on (this machine's server has it off, so its tables are never analyzed and a fresh
 * month's partition is planned on guesses: the outbox claim took 0.5 s there at 1M messages against
 * 2 ms once analyzed), fsync and full-page writes on, the machine's shared_buffers (128 MB).
 * BENCH_PG=machine uses the machine's server instead, for comparison. BENCH_PG_STATEMENTS=1 loads
 * pg_stat_statements into the private cluster, to see where the database's time goes during a run
 * (`create extension pg_stat_statements` in the bench database, then query it).
 */
export async function benchDatabase(log: (msg: string) => void): Promise<BenchDatabase> {
  const name = `massivesms_bench_${randomBytes(3).toString('hex')}`;
  if (process.env.BENCH_PG === 'machine') {
    const ownerUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
    return { ownerUrl, server: 'machine', close: () => dropDatabase(ownerUrl) };
  }
  const pg = await startPrivatePostgres({
    settings: {
      fsync: 'on',
      full_page_writes: 'on',
      autovacuum: 'on',
      ...(process.env.BENCH_PG_STATEMENTS ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
    },
  });
  log(`postgres: a private cluster on port ${pg.port} (autovacuum on, fsync on)`);
  return { ownerUrl: pg.url(name), server: 'private', close: () => pg.destroy() };
}
