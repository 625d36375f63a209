import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { terminationWorkflowId, terminationStatusQuery } from '../workflows/lifecycle/termination';
import { startHarness, type Harness } from './support/harness';
import { expectStatus, seedAccount, waitFor } from './support/termination';

let h: Harness;

beforeAll(async () => {
  // The dev server with the campaign and lifecycle workers: the campaign is stopped through its own workflow.
  h = await startHarness({ worker: true, lifecycle: true });
});
afterAll(() => h.close());

describe('termination stops the account’s running work at once', () => {
  it('a launched campaign is cancelled through its workflow and queued messages never go out', async () => {
    const acct = await seedAccount(h.app, h.deps.pgPool, h.deps);
    const later = new Date(Date.now() + 3600_000).toISOString();
    const campaign = expectStatus(
      await request(h.app)
        .post('/v1/campaigns')
        .set(acct.auth)
        .send({
          name: 'Later',
          template: 'Hi {{name | "there"}}',
          from: acct.senderPhone,
          audience: { listIds: [acct.listId] },
          startAt: later,
          ratePerSecond: 5,
        }),
      201,
    ).body.id as string;
    expect(expectStatus(await request(h.app).post(`/v1/campaigns/${campaign}/launch`).set(acct.auth), 200).body.status).toBe('scheduled');

    expectStatus(await request(h.app).post('/v1/account/termination').set(acct.auth).send({ disposition: 'delete' }), 201);
    const result: CampaignProgress = await h.temporal.workflow.getHandle(campaignWorkflowId(campaign)).result();
    expect(result.state).toBe('cancelled');
    const { rows } = await h.deps.pgPool.query('select status from campaigns where id = $1', [campaign]);
    expect(rows[0].status).toBe('cancelled');
    const queued = await h.deps.pgPool.query(`select count(*)::int as n from messages where account_id = $1 and status = 'queued'`, [
      acct.accountId,
    ]);
    expect(queued.rows[0].n).toBe(0);
    // The termination process is in its grace period, answering its status query (operators see it in the UI).
    const status = await waitFor('the grace phase', async () => {
      const s = await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).query(terminationStatusQuery);
      return s.phase === 'grace' ? s : undefined;
    });
    expect(status).toMatchObject({ accountId: acct.accountId, trigger: null, stepsDone: 0 });
    const described = await h.temporal.workflow.getHandle(terminationWorkflowId(acct.accountId)).describe();
    expect(described.searchAttributes).toMatchObject({ ProcessKind: ['termination'], AccountId: [acct.accountId] });
  });
});
