import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool } from '../db/pg-pool';
import { signUp } from '../services/accounts';
import { EmailLinks } from '../services/holders/email-links';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/webhook-receiver';

/** services/audit-log.ts: the one advisory lock every audit append takes until its transaction ends. */
const AUDIT_APPEND_LOCK = 727_001;
/** Any other lock, held by the test to line the pool's connection up behind it. */
const GATE_LOCK = 727_999;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('audit lock order', () => {
  // The deadlock a clean-clone run met: a sign-up took the audit lock on its ORM connection, then
  // waited for a pg-pool connection (the emailed link's budget), while every pool connection was an
  // activity waiting for the audit lock. Nothing moved until the pool's acquire timeout (a 503).
  it('a sign-up waiting for a pool connection does not hold the audit lock that connection waits for', async () => {
    const gate = new pg.Client({ connectionString: h.config.DATABASE_URL });
    await gate.connect();
    // The links' pool has one connection; the activity below holds it, queued for the gate and then the audit lock.
    const pool = createPgPool(h.config.DATABASE_URL, 1, { acquireTimeoutMs: 5_000 });
    try {
      await gate.query('begin');
      await gate.query('select pg_advisory_xact_lock($1)', [GATE_LOCK]);
      const activity = (async () => {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await client.query('select pg_advisory_xact_lock($1)', [GATE_LOCK]);
          await client.query('select pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
          await client.query('commit');
        } finally {
          client.release();
        }
      })();
      await waitFor(async () => (await lockWaiters(h, GATE_LOCK)) === 1 || undefined, 'the activity to wait at the gate');

      const email = `order-${randomBytes(6).toString('hex')}@example.com`;
      const signedUp = signUp(
        h.deps.orm.em.fork(),
        {
          keyring: h.deps.keyring,
          authDigestKey: h.deps.keys.authDigestKey,
          links: new EmailLinks(pool, h.deps.keys.authDigestKey),
          mail: { email: null, apiBaseUrl: 'http://127.0.0.1', logger: h.deps.logger },
        },
        { accountName: 'Lock Order Co', email, password: 'correct horse battery staple' },
      );
      await waitFor(() => pool.waitingCount === 1 || undefined, 'the sign-up to wait for the pool inside its transaction');

      await gate.query('commit');
      const created = await signedUp;
      await activity;
      expect(created.account.name).toBe('Lock Order Co');
      const { rows } = await h.deps.pgPool.query<{ n: string }>(
        `select count(*) as n from audit_log where action = 'account.created' and target_id = $1`,
        [created.account.id],
      );
      expect(rows[0]!.n).toBe('1');
    } finally {
      await gate.end();
      await pool.end();
    }
  });
});

async function lockWaiters(h: Harness, lock: number): Promise<number> {
  const { rows } = await h.deps.pgPool.query<{ n: string }>(
    `select count(*) as n from pg_locks where locktype = 'advisory' and objid = $1 and not granted`,
    [lock],
  );
  return Number(rows[0]!.n);
}
