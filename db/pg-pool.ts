import { Pool, type PoolClient } from 'pg';

/** Plain pg connections for COPY streaming, which the ORM does not expose; connections open lazily. */
export function createPgPool(databaseUrl: string, max: number): Pool {
  return new Pool({ connectionString: databaseUrl, max });
}

/** Runs `work` in one transaction on one pooled connection: committed if it returns, rolled back if it throws. */
export async function withPgTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
