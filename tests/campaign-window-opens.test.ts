import type { TestWorkflowEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignActivities } from '../activities/campaigns';
import { readCampaign } from '../services/campaigns/campaign-store';
import { campaignWorkflow, campaignWorkflowId } from '../workflows/campaigns/campaign';
import type { CampaignProgress } from '../workflows/campaigns/campaign-progress';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/outbox';
import { startTimeSkipping, timeSkippingWorker } from './support/time-skipping';

/**
 * The campaign workflow with its real activities on a time-skipping server: a recipient outside its
 * window waits on a durable timer, and its message reaches the outbox only once the window has
 * opened in the server's (virtual) time — the workflow hands its clock to the page activity.
 */
let h: Harness;
let env: TestWorkflowEnvironment;
let acct: TestAccount;
let FROM = '';
const TASK_QUEUE = 'campaign-window-opens';

const api = () => request(h.app);
const sql = <T>(q: string, p: unknown[] = []) => h.deps.orm.em.fork().execute<T[]>(q, p);

/** A fixed-offset zone where it is `hour` o'clock now. */
function zoneAtLocalHour(hour: number): string {
  const offset = (((hour - new Date().getUTCHours()) % 24) + 24) % 24;
  const signed = offset > 12 ? offset - 24 : offset;
  return signed === 0 ? 'Etc/UTC' : `Etc/GMT${signed > 0 ? '-' : '+'}${Math.abs(signed)}`;
}

beforeAll(async () => {
  env = await startTimeSkipping();
  h = await startHarness();
  acct = await signUp(h.app, 'Night owls');
  FROM = await obtainSenderNumber(h, acct);
});
afterAll(async () => {
  if (acct)
    await sql(`update messages set status = 'failed', error_code = 'test_cleanup' where account_id = ? and status = 'queued'`, [
      acct.accountId,
    ]);
  await h?.close();
  await env?.teardown();
});

describe('a waiting recipient on the time-skipping server', () => {
  it('is written to the outbox only after its window opens in virtual time', async () => {
    const zone = zoneAtLocalHour(3);
    const contact = await api()
      .post('/v1/contacts')
      .set(acct.auth)
      .send({ phone: freshPhone(), name: 'Owl', attributes: { timezone: zone } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    const list = (await api().post('/v1/lists').set(acct.auth).send({ name: 'Night' })).body.id as string;
    expect(
      (
        await api()
          .post(`/v1/lists/${list}/contacts`)
          .set(acct.auth)
          .send({ contactIds: [contact.body.id] })
      ).status,
    ).toBe(200);
    const draft = await api()
      .post('/v1/campaigns')
      .set(acct.auth)
      .send({ name: 'Dawn', template: 'Good morning {{name}}', from: FROM, audience: { listIds: [list] }, ratePerSecond: 10 });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const id = draft.body.id as string;
    // Launched as the API leaves it; the workflow runs on the time-skipping server instead of the dev server.
    await sql(`update campaigns set status = 'running', launched_at = now() where id = ?`, [id]);
    const messages = () => sql<{ created_at: Date }>('select created_at from messages where campaign_id = ?', [id]);

    const activities = createCampaignActivities({ pgPool: h.deps.pgPool, orm: h.deps.orm, keyring: h.deps.keyring });
    const worker = await timeSkippingWorker(env, TASK_QUEUE, activities);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(campaignWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: campaignWorkflowId(id),
        args: [{ campaignId: id }],
      });
      // The query handler is set once the workflow has read its campaign: until then a query fails.
      const waiting = (await waitFor(
        () => handle.query<CampaignProgress>('progress').catch(() => null),
        (p) => p?.state === 'waiting',
        20_000,
      ))!;
      expect(waiting).toMatchObject({ targeted: 1, queued: 0, waitingQuietHours: 1, waitingMessageCap: 0, remaining: 1 });
      const opening = waiting.nextOpeningAt!;
      const localHour = Number(new Date(opening).toLocaleString('en-US', { timeZone: zone, hour: 'numeric', hour12: false }));
      expect(localHour).toBe(8);

      // A minute before the opening (hours later in virtual time): still nothing in the outbox.
      await env.sleep(opening - (await env.currentTimeMs()) - 60_000);
      expect(await messages()).toEqual([]);
      expect((await handle.query<CampaignProgress>('progress')).state).toBe('waiting');

      // Past the opening: the timer fires and the page writes the message, stamped with virtual time.
      await env.sleep(120_000);
      const written = await waitFor(messages, (rows) => rows.length === 1, 20_000);
      const createdAt = new Date(written[0]!.created_at).getTime();
      expect(createdAt).toBeGreaterThanOrEqual(opening);
      expect(createdAt).toBeLessThanOrEqual(opening + 120_000);
      expect(
        await waitFor(
          () => handle.query<CampaignProgress>('progress'),
          (p) => p.queued === 1,
          20_000,
        ),
      ).toMatchObject({
        queued: 1,
        remaining: 0,
      });
      const [recipient] = await sql<{ state: string }>('select state from campaign_recipients where campaign_id = ?', [id]);
      expect(recipient!.state).toBe('queued');
      // No dispatcher runs here: the message would stay queued and the workflow poll for it forever.
      await handle.terminate('test done');
    });
    await sql(`update campaigns set status = 'cancelled' where id = ?`, [id]);
    expect((await readCampaign(h.deps.pgPool, id))!.status).toBe('cancelled');
  });
});
