import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signUp } from '../support/accounts';
import { saveHistory } from '../support/histories';
import { obtainSenderNumber } from '../support/sender-numbers';
import { CAPPED_AUDIENCE, runUntilSpendCapPause } from '../support/spend-capped-campaign';
import { startWebhookStack, type WebhookStack } from '../support/webhook-stack';

/** Records a campaign that paused itself at its account's spend cap and completed once the cap was raised and it was resumed. */
let stack: WebhookStack;

beforeAll(async () => {
  stack = await startWebhookStack({ worker: true, messaging: true });
});
afterAll(async () => {
  await stack?.close();
});

it('records a campaign paused at the spend cap', async () => {
  const { h } = stack;
  const acct = await signUp(h.app, 'Recorded cap');
  const from = await obtainSenderNumber(h, acct, { sim: stack.sim });
  const { campaignId, handle, paused } = await runUntilSpendCapPause(h, acct, from);
  expect(paused).toMatchObject({ state: 'paused', pausedReason: 'spend_cap' });
  expect((await request(h.app).patch('/v1/billing').set(acct.auth).send({ monthlySpendCap: '1.00' })).status).toBe(200);
  expect((await request(h.app).post(`/v1/campaigns/${campaignId}/resume`).set(acct.auth)).status).toBe(200);
  expect(await handle.result()).toMatchObject({ state: 'completed', queued: CAPPED_AUDIENCE });
  await saveHistory(h.temporal, handle.workflowId, 'spend-cap-paused-resumed');
});
