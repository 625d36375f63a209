import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing';

/**
 * Dunning (`dunning:<accountId>`): started (or signalled) by `invoice.payment_failed`. Emails the
 * account at once, reminds it 3 and 7 days later, and suspends its sending 14 days after the first
 * failure. `invoice.paid` for every failed invoice ends it and lifts a suspension at once. The
 * history holds ids and instants only.
 */
export const dunningWorkflowId = (accountId: string) => `dunning:${accountId}`;

export const DUNNING_REMINDER_AFTER = ['3 days', '7 days'] as const;
export const DUNNING_SUSPEND_AFTER = '14 days';
const DAY_MS = 86_400_000;
const REMINDER_MS = [3 * DAY_MS, 7 * DAY_MS];
const SUSPEND_MS = 14 * DAY_MS;

export type DunningPhase = 'dunning' | 'suspended' | 'resolved';

export interface DunningState {
  accountId: string;
  phase: DunningPhase;
  openInvoiceIds: string[];
  startedAt: string;
  remindersSent: number;
  suspendsAt: string;
  suspendedAt: string | null;
  resolvedAt: string | null;
}

export const paymentFailedSignal = defineSignal<[{ invoiceId: string }]>('paymentFailed');
export const invoicePaidSignal = defineSignal<[{ invoiceId: string }]>('invoicePaid');
export const dunningStateQuery = defineQuery<DunningState>('state');

const acts = proxyActivities<BillingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

export async function dunningWorkflow(input: { accountId: string; invoiceId: string }): Promise<DunningState> {
  const started = Date.now();
  const open = new Set<string>([input.invoiceId]);
  const paid = new Set<string>();
  const state: DunningState = {
    accountId: input.accountId,
    phase: 'dunning',
    openInvoiceIds: [input.invoiceId],
    startedAt: new Date(started).toISOString(),
    remindersSent: 0,
    suspendsAt: new Date(started + SUSPEND_MS).toISOString(),
    suspendedAt: null,
    resolvedAt: null,
  };
  setHandler(paymentFailedSignal, ({ invoiceId }) => {
    if (!paid.has(invoiceId)) open.add(invoiceId);
    state.openInvoiceIds = [...open];
  });
  setHandler(invoicePaidSignal, ({ invoiceId }) => {
    paid.add(invoiceId);
    open.delete(invoiceId);
    state.openInvoiceIds = [...open];
  });
  setHandler(dunningStateQuery, () => state);
  const settled = () => open.size === 0;
  const until = (offsetMs: number) => condition(settled, Math.max(0, started + offsetMs - Date.now()));

  await acts.recordDunning(input.accountId, input.invoiceId, started);
  await acts.sendDunningEmail(input.accountId, 'payment_failed', started, started);
  for (const offset of REMINDER_MS) {
    if (await until(offset)) break;
    await acts.sendDunningEmail(input.accountId, 'reminder', started, started + offset);
    state.remindersSent++;
  }
  if (!settled() && !(await until(SUSPEND_MS))) {
    await acts.suspendSending(input.accountId, true);
    state.phase = 'suspended';
    state.suspendedAt = new Date(Date.now()).toISOString();
    await acts.sendDunningEmail(input.accountId, 'suspended', started, started + SUSPEND_MS);
    await condition(settled);
  }
  if (state.phase === 'suspended') await acts.suspendSending(input.accountId, false);
  await acts.clearDunning(input.accountId);
  await acts.sendDunningEmail(input.accountId, 'resolved', started, started);
  state.phase = 'resolved';
  state.resolvedAt = new Date(Date.now()).toISOString();
  return state;
}
