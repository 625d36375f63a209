import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pool } from 'pg';
import { createPgPool } from '../db/pg-pool';

let pool: Pool;
let admin: Pool;

beforeAll(() => {
  pool = createPgPool(inject('databaseUrl'), 2);
  admin = createPgPool(inject('databaseUrl'), 1);
});
afterAll(async () => {
  await pool.end();
  await admin.end();
});

describe('plain pg pool', () => {
  it('a connection the server ends while a caller holds it fails that caller only: the process lives and the pool opens a new one', async () => {
    const held = await pool.connect();
    const { rows } = await held.query<{ pid: number }>('select pg_backend_pid() as pid');
    const ended = new Promise((resolve) => held.once('end', resolve));
    // As a server restart or failover does to every session: the backend goes while the client is checked out.
    await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await ended;

    await expect(held.query('select 1')).rejects.toThrow();
    held.release();
    const fresh = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    expect(fresh.rows[0]!.pid).not.toBe(rows[0]!.pid);
  });
});
