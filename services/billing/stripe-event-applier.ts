import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/env';
import { withPgTransaction } from '../../db/pg-pool';
import type { BillingEvent, BillingProvider, PaymentMethodView } from '../../providers/billing/billing-provider';
import {
  accountIdOfCustomer,
  claimStripeEvent,
  lockAccountBilling,
  readAccountBilling,
  recordInvoice,
  recordPaymentMethodChange,
  setPaymentMethod,
  setSubscription,
} from './billing-store';

/** What an applied event asks of the dunning process (started or signalled by the caller, before commit). */
export type DunningCommand =
  { kind: 'payment_failed'; accountId: string; invoiceId: string } | { kind: 'paid'; accountId: string; invoiceId: string };

export interface DunningStarter {
  paymentFailed(accountId: string, invoiceId: string): Promise<void>;
  invoicePaid(accountId: string, invoiceId: string): Promise<void>;
}

export type ApplyResult = { kind: 'applied' | 'replayed' | 'ignored' };

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const idOf = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'object' && value !== null ? str((value as { id?: unknown }).id) : null;

/**
 * Applies one verified Stripe event. Safe against replays (its id is claimed in the transaction that
 * applies it) and against out-of-order delivery: the object is re-read from Stripe, and a state is
 * written only when the event is not older (`created`) than the one that wrote the current state.
 * Only card display fields are ever stored.
 */
export class StripeEventApplier {
  constructor(
    private readonly deps: { pgPool: Pool; logger: Logger; config: Pick<AppConfig, 'STRIPE_PRICE_SEGMENTS' | 'STRIPE_PRICE_PLATFORM'> },
    private readonly provider: BillingProvider,
    private readonly dunning: DunningStarter,
  ) {}

  async apply(event: BillingEvent): Promise<ApplyResult> {
    const seen = await this.deps.pgPool.query('select 1 from stripe_events where event_id = $1', [event.id]);
    if (seen.rowCount) return { kind: 'replayed' };
    const eventAt = new Date(event.created * 1000);
    const object = event.object;
    const customerId = idOf(object.customer);
    const accountId = customerId ? await accountIdOfCustomer(this.deps.pgPool, customerId) : null;
    if (!accountId) {
      if (event.type === 'billing.meter.error_report_triggered') {
        this.deps.logger.warn({ meter: idOf(object.meter), eventId: event.id }, 'Stripe reports meter event errors');
      }
      return this.claimOnly(event, 'ignored');
    }

    switch (event.type) {
      case 'checkout.session.completed':
      case 'setup_intent.succeeded': {
        const setupIntentId = event.type === 'checkout.session.completed' ? idOf(object.setup_intent) : str(object.id);
        const paymentMethodId = setupIntentId ? await this.provider.setupIntentPaymentMethod(setupIntentId) : null;
        if (!paymentMethodId) return this.claimOnly(event, 'ignored');
        const method = await this.provider.retrievePaymentMethod(paymentMethodId);
        if (method.customerId !== customerId) return this.claimOnly(event, 'ignored');
        await this.provider.setDefaultPaymentMethod(customerId!, method.id);
        await this.ensureSubscription(accountId, customerId!, method.id, eventAt);
        return this.applyPaymentMethod(event, accountId, method, 'attached', eventAt);
      }
      case 'payment_method.attached':
      case 'payment_method.updated':
      case 'payment_method.detached': {
        const method = await this.provider.retrievePaymentMethod(str(object.id) ?? '');
        const status = event.type.slice('payment_method.'.length) as 'attached' | 'updated' | 'detached';
        return this.applyPaymentMethod(event, accountId, method, status, eventAt);
      }
      default:
        break;
    }
    if (event.type.startsWith('customer.subscription.')) {
      const subscription = await this.provider.retrieveSubscription(str(object.id) ?? '');
      return this.inTransaction(event, accountId, async (client, row) => {
        if (row.subscription_event_at && row.subscription_event_at > eventAt) return;
        if (row.subscription_id && row.subscription_id !== subscription.id && subscription.status === 'canceled') return;
        await setSubscription(client, accountId, subscription, eventAt);
      });
    }
    if (event.type === 'invoice.finalized' || event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
      const invoice = await this.provider.retrieveInvoice(str(object.id) ?? '');
      // The process is told before the event is claimed: a crash in between redelivers, and both commands are idempotent.
      if (event.type === 'invoice.payment_failed' && invoice.status !== 'paid') await this.dunning.paymentFailed(accountId, invoice.id);
      if (event.type === 'invoice.paid' || invoice.status === 'paid') await this.dunning.invoicePaid(accountId, invoice.id);
      return this.inTransaction(event, accountId, (client) => recordInvoice(client, accountId, invoice, eventAt));
    }
    if (event.type === 'billing.meter.error_report_triggered') {
      this.deps.logger.warn({ accountId, meter: idOf(object.meter), eventId: event.id }, 'Stripe reports meter event errors');
    }
    return this.claimOnly(event, 'ignored');
  }

  private async ensureSubscription(accountId: string, customerId: string, paymentMethodId: string, eventAt: Date): Promise<void> {
    const { STRIPE_PRICE_SEGMENTS: segments, STRIPE_PRICE_PLATFORM: platform } = this.deps.config;
    if (!segments || !platform) {
      this.deps.logger.warn(
        { accountId },
        'no subscription created: STRIPE_PRICE_SEGMENTS / STRIPE_PRICE_PLATFORM are not set (npm run billing:setup)',
      );
      return;
    }
    const current = await readAccountBilling(this.deps.pgPool, accountId);
    if (current?.subscription_id) return;
    const subscription = await this.provider.createSubscription({
      customerId,
      accountId,
      priceIds: [segments, platform],
      defaultPaymentMethodId: paymentMethodId,
      // One subscription per account, however often the first card's events are delivered.
      idempotencyKey: `subscription/${accountId}`,
    });
    await withPgTransaction(this.deps.pgPool, async (client) => {
      const row = await lockAccountBilling(client, accountId);
      if (!row.subscription_id) await setSubscription(client, accountId, subscription, eventAt);
    });
  }

  private applyPaymentMethod(
    event: BillingEvent,
    accountId: string,
    method: PaymentMethodView,
    status: 'attached' | 'updated' | 'detached',
    eventAt: Date,
  ): Promise<ApplyResult> {
    return this.inTransaction(event, accountId, async (client, row) => {
      await recordPaymentMethodChange(client, accountId, { eventId: event.id, status, card: method.card }, eventAt);
      if (row.payment_method_event_at && row.payment_method_event_at > eventAt) return;
      // Stripe's current state, re-read: a detached card (no longer the customer's) is cleared, never shown again.
      const ours = method.customerId !== null && status !== 'detached';
      if (ours) await setPaymentMethod(client, accountId, { id: method.id, card: method.card }, eventAt);
      else if (row.payment_method_id === method.id) await setPaymentMethod(client, accountId, null, eventAt);
    });
  }

  private async inTransaction(
    event: BillingEvent,
    accountId: string,
    work: (client: import('pg').PoolClient, row: Awaited<ReturnType<typeof lockAccountBilling>>) => Promise<void>,
  ): Promise<ApplyResult> {
    return withPgTransaction(this.deps.pgPool, async (client) => {
      if (!(await claimStripeEvent(client, event))) return { kind: 'replayed' as const };
      const row = await lockAccountBilling(client, accountId);
      await work(client, row);
      return { kind: 'applied' as const };
    });
  }

  private claimOnly(event: BillingEvent, kind: 'ignored'): Promise<ApplyResult> {
    return withPgTransaction(this.deps.pgPool, async (client) =>
      (await claimStripeEvent(client, event)) ? { kind } : { kind: 'replayed' as const },
    );
  }
}
