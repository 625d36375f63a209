import request from 'supertest';
import { expect } from 'vitest';
import { campaignWorkflowId } from '../../workflows/campaigns/campaign';
import type { CampaignProgress } from '../../workflows/campaigns/campaign-progress';
import type { TestAccount } from './accounts';
import { insertAudience, zoneAtLocalHour } from './audience';
import type { Harness } from './harness';
import { freshPhone } from './messaging';
import { waitFor } from './outbox';

/** Messages of one segment (0.0079 USD at the seeded price): a 0.02 cap is reached by the 3rd accepted (0.0237). */
export const CAPPED_AUDIENCE = 6;
export const CAP_REACHED_AFTER = 3;

/**
 * A campaign of CAPPED_AUDIENCE one-segment messages at 1 a second under a 0.02 monthly cap: it runs
 * until the spend reaches the cap and pauses itself. Returns what GET showed then; the caller raises
 * the cap and resumes. The tests (tests/campaign-billing.test.ts) and the history recording share it.
 */
export async function runUntilSpendCapPause(h: Harness, acct: TestAccount, from: string) {
  const { listId } = await insertAudience(
    h.deps,
    acct.accountId,
    Array.from({ length: CAPPED_AUDIENCE }, () => freshPhone()),
    { timezone: zoneAtLocalHour(14) },
  );
  expect((await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '0.02' })).status).toBe(200);
  const draft = await request(h.app)
    .post('/v1/campaigns')
    .set(acct.auth)
    .send({ name: 'Capped run', template: 'Spring sale today', from, ratePerSecond: 1, audience: { listIds: [listId] } });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const campaignId = draft.body.id as string;
  const launched = await request(h.app).post(`/v1/campaigns/${campaignId}/launch`).set(acct.auth);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  const handle = h.temporal.workflow.getHandle(campaignWorkflowId(campaignId));
  const paused = await waitFor(
    () => handle.query<CampaignProgress>('progress'),
    (p) => p.state === 'paused' || p.state === 'completed',
    60_000,
  );
  const shown = await request(h.app).get(`/v1/campaigns/${campaignId}`).set(acct.auth);
  return { campaignId, handle, launched: launched.body, paused, shown: shown.body };
}
