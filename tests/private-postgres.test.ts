import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../scripts/private-postgres';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('a private PostgreSQL cluster (scripts/private-postgres.ts)', () => {
  let pg: PrivatePostgres;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  it('runs on its own port, not the shared cluster, and keeps committed rows across an immediate stop', async () => {
    expect(pg.port).not.toBe(5432);
    const url = pg.url('postgres');
    expect(await query<{ port: string }>(url, `select current_setting('port') as port`)).toEqual([{ port: String(pg.port) }]);
    await query(url, `create table kept (n int); insert into kept values (41), (42)`);

    await pg.stopImmediate();
    expect(await pg.isUp()).toBe(false);
    await expect(query(url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);

    await pg.start();
    expect(await pg.isUp()).toBe(true);
    expect(await query<{ n: number }>(url, 'select n from kept order by n')).toEqual([{ n: 41 }, { n: 42 }]);
  });

  it('destroy stops the server and removes its data folder', async () => {
    const { dataDir } = pg;
    expect(existsSync(dataDir)).toBe(true);
    await pg.destroy();
    expect(existsSync(dataDir)).toBe(false);
    expect(await pg.isUp()).toBe(false);
  });
});
