import { Pool, type PoolClient } from 'pg';

/** Scripts and tests that build a pool without the config: a caller gives up after this long. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;

export interface PgPoolLimits {
  /** How long a caller waits for a connection (a free one, or a new one to open) before the pool gives up. */
  acquireTimeoutMs: number;
  /** Sent as the sessions' `statement_timeout`: the server cancels a statement running longer. */
  statementTimeoutMs?: number;
  /** Sent as the sessions' `idle_in_transaction_session_timeout`: the server ends a session (and its snapshot) left idle inside a transaction. */
  idleInTransactionTimeoutMs?: number;
}

/** Plain pg connections for COPY streaming and long reads, which the ORM does not expose; connections open lazily. */
export function createPgPool(
  databaseUrl: string,
  max: number,
  limits: PgPoolLimits = { acquireTimeoutMs: DEFAULT_ACQUIRE_TIMEOUT_MS },
): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: limits.acquireTimeoutMs,
    ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}),
    ...(limits.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs } : {}),
  });
  // An idle connection the server dropped (restart, failover) is re-emitted by the pool as 'error',
  // which would end the process without a listener: the pool has already discarded that client and
  // opens a new connection on the next checkout, so there is nothing else to do here.
  pool.on('error', () => undefined);
  // A checked-out client has no listener of the pool's (pool.query adds its own, pool.connect() does
  // not): a connection the server ends while a caller holds it would emit 'error' to nobody and end
  // the process. Its query in flight still fails, and the pool discards it on release (not queryable).
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** What pg-pool and knex (tarn) raise when no connection came within the acquire timeout. */
const ACQUIRE_TIMEOUT_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Knex: Timeout acquiring a connection',
];

/** Whether `err` says a pool had no connection to give in time (MikroORM wraps knex's error, keeping its message). */
export function isPoolAcquireTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'KnexTimeoutError' || ACQUIRE_TIMEOUT_MESSAGES.some((m) => err.message.startsWith(m));
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
