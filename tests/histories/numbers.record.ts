import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { numberOrderWorkflowId, numberReleaseWorkflowId } from '../../workflows/numbers/number-order';
import { signUp } from '../support/accounts';
import { saveHistory } from '../support/histories';
import { inventoryPhone } from '../support/sender-numbers';
import { waitFor } from '../support/webhook-receiver';
import { startWebhookStack, type WebhookStack } from '../support/webhook-stack';

/**
 * Records, on the dev server with the messaging worker and the simulator's number APIs, a number
 * ordered through to active (Telnyx order, messaging profile, Twilio hosted SMS) and then released.
 */
let stack: WebhookStack;

beforeAll(async () => {
  stack = await startWebhookStack({ messaging: true, env: { DISPATCH_SHARDS: '1' } });
});
afterAll(() => stack?.close());

it('records a number ordered to active and released', async () => {
  const api = () => request(stack.h.app);
  const acct = await signUp(stack.h.app, 'Recorded numbers');
  const ordered = await api()
    .post('/v1/sender-numbers')
    .set(acct.auth)
    .send({ phone: inventoryPhone('512') });
  expect(ordered.status, JSON.stringify(ordered.body)).toBe(202);
  const id = ordered.body.id as string;
  const statusIs = (status: string) =>
    waitFor(
      async () => ((await api().get(`/v1/sender-numbers/${id}`).set(acct.auth)).body.status === status ? true : undefined),
      `number ${status}`,
      30_000,
    );
  await statusIs('active');
  expect((await api().delete(`/v1/sender-numbers/${id}`).set(acct.auth)).status).toBe(202);
  await statusIs('released');
  await stack.h.temporal.workflow.getHandle(numberReleaseWorkflowId(id)).result();
  await saveHistory(stack.h.temporal, numberOrderWorkflowId(id), 'ordered-hosted-active');
  await saveHistory(stack.h.temporal, numberReleaseWorkflowId(id), 'released');
}, 120_000);
