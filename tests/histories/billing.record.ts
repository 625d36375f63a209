import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBillingActivities } from '../../activities/billing';
import { createEmailSender } from '../../providers/email/registry';
import { billingCustomerWorkflow } from '../../workflows/billing/billing-customer';
import { dunningStateQuery, dunningWorkflow, invoicePaidSignal } from '../../workflows/billing/dunning';
import { signUp } from '../support/accounts';
import { saveHistory } from '../support/histories';
import { startSimulatedTimeSkipping, timeSkippingWorker, type SimulatedTimeSkipping } from '../support/time-skipping';
import { simulatorBilling } from '../support/usage';

/** Records an account's Stripe customer being created, and a dunning that suspends sending and ends when the invoice is paid. */
let stack: SimulatedTimeSkipping;

beforeAll(async () => {
  stack = await startSimulatedTimeSkipping();
});
afterAll(() => stack?.close());

it('records the billing customer and a dunning', async () => {
  const { env, sim, h } = stack;
  const account = await signUp(h.app, 'Recorded billing');
  const activities = createBillingActivities({ deps: h.deps, billing: simulatorBilling(sim), email: createEmailSender(h.config) });
  const worker = await timeSkippingWorker(env, 'billing-record', activities);
  await worker.runUntil(async () => {
    const customerId = `billing-customer-record-${account.accountId}`;
    const created = await env.client.workflow.execute(billingCustomerWorkflow, {
      taskQueue: 'billing-record',
      workflowId: customerId,
      args: [{ accountId: account.accountId }],
    });
    expect(created.customerId).toMatch(/^cus_/);
    await saveHistory(env.client, customerId, 'created');

    const dunningId = `dunning-record-${account.accountId}`;
    const handle = await env.client.workflow.start(dunningWorkflow, {
      taskQueue: 'billing-record',
      workflowId: dunningId,
      args: [{ accountId: account.accountId, invoiceId: 'in_recorded' }],
    });
    await env.sleep('15 days');
    expect((await handle.query(dunningStateQuery)).phase).toBe('suspended');
    await handle.signal(invoicePaidSignal, { invoiceId: 'in_recorded' });
    expect((await handle.result()).phase).toBe('resolved');
    await saveHistory(env.client, dunningId, 'suspended-then-paid');
  });
});
