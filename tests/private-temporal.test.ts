import { Client, Connection } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateTemporal, type PrivateTemporal } from '../scripts/private-temporal';
import { AccountIdKey } from '../workflows/search-attributes';

describe('a private Temporal dev server on a SQLite file (scripts/private-temporal.ts)', () => {
  let temporal: PrivateTemporal;

  beforeAll(async () => {
    temporal = await startPrivateTemporal();
  });
  afterAll(async () => {
    await temporal?.destroy();
  });

  it('keeps a workflow started before a SIGKILL, with our search attributes, after a restart on the same address', async () => {
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    // No worker polls this queue: the execution only has to be recorded.
    await client.workflow.start('nobodyRunsThis', {
      taskQueue: 'private-temporal-test',
      workflowId: 'kept-across-kill',
      typedSearchAttributes: [{ key: AccountIdKey, value: 'acct-1' }],
    });
    await connection.close();

    await temporal.kill();
    expect(await temporal.isUp()).toBe(false);
    await temporal.start();
    expect(await temporal.isUp()).toBe(true);

    const again = await Connection.connect({ address: temporal.address });
    try {
      const described = await new Client({ connection: again }).workflow.getHandle('kept-across-kill').describe();
      expect(described.status.name).toBe('RUNNING');
      expect(described.typedSearchAttributes.get(AccountIdKey)).toBe('acct-1');
    } finally {
      await again.close();
    }
  });

  it('destroy kills the server and removes its state file', async () => {
    expect(existsSync(temporal.dbFile)).toBe(true);
    await temporal.destroy();
    expect(await temporal.isUp()).toBe(false);
    expect(existsSync(temporal.dbFile)).toBe(false);
  });
});
