import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { withPgTransaction } from '../../db/pg-pool';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { BillingProviderError, type BillingProvider } from '../../providers/billing/billing-provider';
import { billingCustomerWorkflow, billingCustomerWorkflowId } from '../../workflows/billing/billing-customer';
import { dunningWorkflow, dunningWorkflowId, invoicePaidSignal, paymentFailedSignal } from '../../workflows/billing/dunning';
import { AccountIdKey, ProcessKindKey } from '../../workflows/search-attributes';
import { TASK_QUEUES } from '../../workers/task-queues';
import type { ApiDeps } from '../deps';
import { appendAuditOnConnection } from '../termination/termination-audit';
import { listBillingRecords, readAccountBilling, stripeCustomerIdOf } from './billing-store';
import { toBillingView, type BillingView } from './billing-view';
import type { DunningStarter } from './stripe-event-applier';

/** How long creating a Checkout session waits for a customer still being created after sign-up. */
/** A request waits this long for a customer still being created, then answers 503 with Retry-After. */
const CUSTOMER_WAIT_MS = 5_000;
const RECORDS_SHOWN = 100;
export const CHECKOUT_CURRENCY = 'usd';

/** Starts the account's customer creation; sign-up calls it after its commit (the workflow id makes it once). */
export async function startCustomerCreation(temporal: Client, accountId: string): Promise<void> {
  await temporal.workflow.start(billingCustomerWorkflow, {
    taskQueue: TASK_QUEUES.billing,
    workflowId: billingCustomerWorkflowId(accountId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ accountId }],
    typedSearchAttributes: [
      { key: ProcessKindKey, value: 'billing_customer' },
      { key: AccountIdKey, value: accountId },
    ],
  });
}

function providerUnavailable(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = err instanceof BillingProviderError ? err.code : 'unexpected';
  return new AppError('unavailable', `the payment provider did not answer (${code}); try again`, { retryAfterSeconds: 10, cause: err });
}

/** The dunning process per account, steered by Stripe's invoice events. */
export class TemporalDunningStarter implements DunningStarter {
  constructor(private readonly temporal: Client) {}

  async paymentFailed(accountId: string, invoiceId: string): Promise<void> {
    await this.temporal.workflow.signalWithStart(dunningWorkflow, {
      taskQueue: TASK_QUEUES.billing,
      workflowId: dunningWorkflowId(accountId),
      args: [{ accountId, invoiceId }],
      signal: paymentFailedSignal,
      signalArgs: [{ invoiceId }],
      typedSearchAttributes: [
        { key: ProcessKindKey, value: 'dunning' },
        { key: AccountIdKey, value: accountId },
      ],
    });
  }

  async invoicePaid(accountId: string, invoiceId: string): Promise<void> {
    try {
      await this.temporal.workflow.getHandle(dunningWorkflowId(accountId)).signal(invoicePaidSignal, { invoiceId });
    } catch (err) {
      // No dunning running (the usual case for a paid invoice): nothing to end.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}

export class BillingService {
  constructor(
    private readonly deps: Pick<ApiDeps, 'pgPool' | 'temporal'>,
    private readonly provider: BillingProvider | null,
  ) {}

  async view(accountId: string): Promise<BillingView> {
    const [customerId, row, records] = await Promise.all([
      stripeCustomerIdOf(this.deps.pgPool, accountId),
      readAccountBilling(this.deps.pgPool, accountId),
      listBillingRecords(this.deps.pgPool, accountId, RECORDS_SHOWN),
    ]);
    return toBillingView(customerId, row, records);
  }

  /** A Checkout session in setup mode for the account's customer: the only way a card is added. */
  async createCheckoutSession(accountId: string, urls: { successUrl: string; cancelUrl: string }): Promise<{ id: string; url: string }> {
    const provider = this.provider;
    if (!provider) throw new AppError('unavailable', 'billing is not configured on this deployment (STRIPE_SECRET_KEY)');
    const customerId = await this.customerOf(accountId);
    try {
      const session = await provider.createCheckoutSession({
        customerId,
        accountId,
        currency: CHECKOUT_CURRENCY,
        successUrl: urls.successUrl,
        cancelUrl: urls.cancelUrl,
        idempotencyKey: `checkout/${accountId}/${uuidv7()}`,
      });
      return { id: session.id, url: session.url };
    } catch (err) {
      throw providerUnavailable(err);
    }
  }

  /** A manual credit by staff, with its reason: a billing record and an audit entry in one transaction. */
  async credit(
    accountId: string,
    credit: { amount: number; currency: string; reason: string },
    staff: { staffUserId: string; staffSessionId: string; role: string },
  ): Promise<BillingView & { accountId: string; accountStatus: string }> {
    const exists = await this.deps.pgPool.query('select 1 from accounts where id = $1', [accountId]);
    if (!exists.rowCount) throw AppError.notFound('account');
    await withPgTransaction(this.deps.pgPool, async (client) => {
      const id = uuidv7();
      await client.query(
        `insert into billing_records (id, account_id, kind, stripe_object_id, amount_due, currency, status, reason, occurred_at, created_at)
         values ($1, $2, 'credit', $3, $4, $5, 'granted', $6, now(), now())`,
        [id, accountId, `credit_${id}`, -credit.amount, credit.currency, credit.reason],
      );
      await appendAuditOnConnection(client, {
        actorType: 'staff',
        actorId: staff.staffUserId,
        accountId,
        action: 'billing.credit_granted',
        targetType: 'billing_record',
        targetId: id,
        details: {
          amount: credit.amount,
          currency: credit.currency,
          reason: credit.reason,
          role: staff.role,
          sessionId: staff.staffSessionId,
        },
      });
    });
    return this.staffView(accountId);
  }

  async staffView(accountId: string): Promise<BillingView & { accountId: string; accountStatus: string }> {
    const { rows } = await this.deps.pgPool.query<{ status: string }>('select status from accounts where id = $1', [accountId]);
    if (!rows[0]) throw AppError.notFound('account');
    return { accountId, accountStatus: rows[0].status, ...(await this.view(accountId)) };
  }

  /** The recorded customer, or the one the sign-up process is creating (started here again if it never was). */
  private async customerOf(accountId: string): Promise<string> {
    const recorded = await stripeCustomerIdOf(this.deps.pgPool, accountId);
    if (recorded) return recorded;
    try {
      await startCustomerCreation(this.deps.temporal, accountId);
      const handle = this.deps.temporal.workflow.getHandle(billingCustomerWorkflowId(accountId));
      const result = (await this.deps.temporal.withDeadline(Date.now() + CUSTOMER_WAIT_MS, () => handle.result())) as {
        customerId: string;
      };
      return result.customerId;
    } catch (err) {
      throw new AppError('unavailable', 'the account’s billing customer is still being created; try again shortly', {
        retryAfterSeconds: 5,
        cause: err,
      });
    }
  }
}
