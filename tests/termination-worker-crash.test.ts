import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminationWorkflowId } from '../workflows/lifecycle/termination';
import { signUp } from './support/accounts';
import { startHarness, testEnvironment, type Harness } from './support/harness';
import { personalRows, waitFor } from './support/termination';

const MESSAGES = 300_000;
const CONTACTS = 50_000;
const STEP = 'message_recipients_and_bodies';

let h: Harness;
const workers: ChildProcess[] = [];

/** A real worker process (the one `npm run dev` starts), so it can be killed like a crashed host. */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'workers', 'worker.ts')], {
    env: { ...process.env, ...testEnvironment() },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

async function checkpoint(accountId: string): Promise<{ affected: number; done: boolean } | undefined> {
  const { rows } = await h.deps.pgPool.query<{ affected: string; done: boolean }>(
    'select affected::text as affected, done from account_deletion_checkpoints where account_id = $1 and step = $2',
    [accountId, STEP],
  );
  return rows[0] ? { affected: Number(rows[0].affected), done: rows[0].done } : undefined;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await h.close();
});

describe('worker killed mid-deletion', () => {
  it(
    'another worker resumes the step from its database checkpoint and finishes: every row once, nothing left',
    { timeout: 240_000 },
    async () => {
      const acct = await signUp(h.app, 'Crash deletion');
      // Bulk rows written directly (as the bench does): enough batches for the kill to land mid-step.
      await h.deps.pgPool.query(
        `insert into contacts (id, account_id, phone_hash, pii, created_at, updated_at)
       select gen_random_uuid(), $1::uuid, decode(md5($1::text || i::text) || md5(i::text), 'hex'), decode(md5(i::text), 'hex'), now(), now()
         from generate_series(1, $2::int) i`,
        [acct.accountId, CONTACTS],
      );
      await h.deps.pgPool.query(
        `with m as (
         insert into messages (id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status,
                               created_at, updated_at)
         select gen_random_uuid(), $1::uuid, 'outbound', 'api', decode(md5($1::text || i::text) || md5(i::text), 'hex'), decode(md5(i::text), 'hex'),
                '+14155550100', 'GSM-7', 1, 'delivered', now(), now()
           from generate_series(1, $2::int) i
         returning id, account_id, created_at)
       insert into message_bodies (message_id, account_id, body, created_at)
       select id, account_id, decode(md5(id::text), 'hex'), created_at from m`,
        [acct.accountId, MESSAGES],
      );

      const first = spawnWorker();
      const res = await request(h.app).post('/v1/account/termination').set(acct.auth).send({ disposition: 'delete', deleteEarly: true });
      expect(res.status, JSON.stringify(res.body)).toBe(201);

      const atKill = await waitFor(
        'the message step to be under way',
        async () => {
          const c = await checkpoint(acct.accountId);
          return c && c.affected > 0 && !c.done ? c : undefined;
        },
        120_000,
      );
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const afterKill = (await checkpoint(acct.accountId))!;
      expect(afterKill.done).toBe(false);
      expect(afterKill.affected).toBeGreaterThanOrEqual(atKill.affected);
      expect(afterKill.affected).toBeLessThan(MESSAGES);

      spawnWorker();
      await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).result();

      // A scrub re-run from the start would count the rows it scrubbed before the kill twice.
      expect(await checkpoint(acct.accountId)).toEqual({ affected: MESSAGES, done: true });
      const rows = await personalRows(h.deps.pgPool, acct.accountId);
      expect(Object.values(rows).reduce((a, b) => a + b, 0)).toBe(0);
      const { rows: termination } = await h.deps.pgPool.query(
        'select status, certificate from account_terminations where account_id = $1',
        [acct.accountId],
      );
      expect(termination[0].status).toBe('deleted');
      expect(termination[0].certificate.tables.contacts).toEqual({ before: CONTACTS, after: 0 });
      expect(termination[0].certificate.tables.messages).toEqual({ before: MESSAGES, after: 0 });

      // The step's activity ran again after the kill (a retry of the same activity, not a new process).
      const history = await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).fetchHistory();
      const retried = (history.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
      expect(retried).toBe(true);
    },
  );
});
