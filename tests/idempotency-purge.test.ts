import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../services/idempotency/idempotency-store';
import { ensureIdempotencyPurgeSchedule, IDEMPOTENCY_PURGE_SCHEDULE_ID } from '../workers/idempotency-purge-schedule';
import { TASK_QUEUES } from '../workers/task-queues';
import { purgeIdempotencyKeysWorkflow } from '../workflows/purge-idempotency-keys';
import { signUp, type TestAccount } from './support/accounts';
import { startBackgroundWorker } from './support/bundled-worker';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let store: IdempotencyStore;
let account: TestAccount;

beforeAll(async () => {
  h = await startHarness();
  store = new IdempotencyStore(h.deps.keyring);
  account = await signUp(h.app, 'Purger');
});
afterAll(() => h.close());

const em = () => h.deps.orm.em.fork();

/** Claims `keys` for the account; the `expired` ones are then aged past their expiry. */
async function seed(keys: string[], expired: string[]): Promise<void> {
  for (const key of keys) {
    const outcome = await store.claim(em(), { accountId: account.accountId, key, method: 'post', path: '/v1/lists', requestHash: 'h' });
    expect(outcome.claimed).toBe(true);
  }
  await em().execute(`update idempotency_keys set expires_at = now() - interval '1 second' where account_id = ? and key in (?)`, [
    account.accountId,
    expired,
  ]);
}

const keysLeft = async () =>
  (await em().execute<{ key: string }[]>('select key from idempotency_keys where account_id = ? order by key', [account.accountId])).map(
    (r) => r.key,
  );

describe('Purging expired Idempotency-Keys', () => {
  it('deletes expired keys in batches, keeps fresh ones, and reports the count', async () => {
    await store.purgeExpired(em(), 100); // whatever earlier runs left expired
    await seed(['a1', 'a2', 'a3', 'a4', 'a5', 'f1', 'f2'], ['a1', 'a2', 'a3', 'a4', 'a5']);
    const batches: number[] = [];
    expect(await store.purgeExpired(em(), 2, (n) => batches.push(n))).toBe(5);
    expect(batches).toEqual([2, 4, 5]);
    expect(await keysLeft()).toEqual(['f1', 'f2']);
  });

  describe('on Temporal', () => {
    let client: Client;
    let connection: Connection;
    let maintenance: { stop(): Promise<void> };

    beforeAll(async () => {
      connection = await Connection.connect({ address: h.config.TEMPORAL_ADDRESS });
      client = new Client({ connection, namespace: h.config.TEMPORAL_NAMESPACE });
      maintenance = await startBackgroundWorker(h);
    });
    afterAll(async () => {
      await maintenance.stop();
      await connection.close();
    });

    it('the purge workflow deletes expired keys and returns how many', async () => {
      await seed(['b1', 'b2'], ['b1', 'f1']);
      const result = await client.workflow.execute(purgeIdempotencyKeysWorkflow, {
        taskQueue: TASK_QUEUES.maintenance,
        workflowId: `purge-test-${account.accountId}`,
      });
      expect(result).toEqual({ purged: 2 });
      expect(await keysLeft()).toEqual(['b2', 'f2']);
    });

    it('the worker creates the daily Schedule idempotently, and a run of it purges', async () => {
      await ensureIdempotencyPurgeSchedule(client);
      await ensureIdempotencyPurgeSchedule(client);
      const handle = client.schedule.getHandle(IDEMPOTENCY_PURGE_SCHEDULE_ID);
      const described = await handle.describe();
      expect(described.spec.calendars).toHaveLength(1);
      expect(described.spec.calendars![0]).toMatchObject({
        hour: [{ start: 3, end: 3, step: 1 }],
        minute: [{ start: 17, end: 17, step: 1 }],
      });
      expect(described.action).toMatchObject({ workflowType: 'purgeIdempotencyKeysWorkflow', taskQueue: TASK_QUEUES.maintenance });

      await seed(['c1'], ['c1', 'b2']);
      await handle.trigger();
      let started = (await handle.describe()).info.recentActions;
      while (started.length === 0) started = (await handle.describe()).info.recentActions;
      const run = started[0]!.action.workflow;
      expect(await client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result()).toEqual({ purged: 2 });
      expect(await keysLeft()).toEqual(['f2']);
    });
  });
});
