import request from 'supertest';
import { expect } from 'vitest';
import { enqueuePage, readCampaign, snapshotPage } from '../../services/campaigns/campaign-store';
import type { TestAccount } from './accounts';
import type { Harness } from './harness';

/**
 * A campaign to the given numbers, created through the API and left as its workflow would leave it
 * after launch (running, audience snapshotted), whose first page is written at `now`: its messages
 * are in the outbox with the window they were enqueued in. For tests of the send path's clock, which
 * run the page with their own instant instead of a campaign workflow's.
 */
export async function campaignEnqueuedAt(
  h: Harness,
  acct: TestAccount,
  from: string,
  phones: string[],
  now: Date,
): Promise<{ campaignId: string; messageIds: Record<string, string> }> {
  const api = () => request(h.app);
  const contactIds: string[] = [];
  for (const phone of phones) {
    const res = await api().post('/v1/contacts').set(acct.auth).send({ phone, name: 'Pat' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    contactIds.push(res.body.id);
  }
  const listId = (await api().post('/v1/lists').set(acct.auth).send({ name: 'Evening' })).body.id as string;
  expect((await api().post(`/v1/lists/${listId}/contacts`).set(acct.auth).send({ contactIds })).status).toBe(200);
  const draft = await api()
    .post('/v1/campaigns')
    .set(acct.auth)
    .send({ name: 'Evening sale', template: 'Hi {{name}}, sale tonight', from, audience: { listIds: [listId] }, ratePerSecond: 50 });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const campaignId = draft.body.id as string;
  await h.deps.pgPool.query(`update campaigns set status = 'running', launched_at = $2 where id = $1`, [campaignId, now]);
  expect((await snapshotPage(h.deps.pgPool, (await readCampaign(h.deps.pgPool, campaignId))!, null, 1000)).next).toBeNull();
  const dataKey = await h.deps.keyring.keyFor(h.deps.orm.em.fork(), acct.accountId);
  expect(await enqueuePage(h.deps.pgPool, dataKey, campaignId, 100, now)).toMatchObject({ queued: phones.length });
  const { rows } = await h.deps.pgPool.query<{ contact_id: string; message_id: string }>(
    'select contact_id, message_id from campaign_recipients where campaign_id = $1',
    [campaignId],
  );
  const byContact = new Map(rows.map((r) => [r.contact_id, r.message_id]));
  return { campaignId, messageIds: Object.fromEntries(phones.map((phone, i) => [phone, byContact.get(contactIds[i]!)!])) };
}

/** What the send path's window check reads and writes on a message. */
export async function windowStateOf(h: Harness, messageId: string) {
  const { rows } = await h.deps.pgPool.query<{
    status: string;
    send_before: Date | null;
    next_attempt_at: Date | null;
    wait_reason: string | null;
    claim_token: string | null;
  }>('select status, send_before, next_attempt_at, wait_reason, claim_token from messages where id = $1', [messageId]);
  const r = rows[0]!;
  return {
    status: r.status,
    sendBefore: r.send_before?.toISOString() ?? null,
    nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
    waitReason: r.wait_reason,
    claimed: r.claim_token !== null,
  };
}
