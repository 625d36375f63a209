import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { NumberOperationFailed, type HostingState, type NumberCarriers, type NumberOrderState } from '../../providers/sms/numbers';
import { advanceNumber, readNumber, recordCarrierRefs, type NumberRow } from '../../services/messaging/sender-number-store';

export interface NumberActivityDeps {
  pgPool: Pool;
  numbers: NumberCarriers;
}

/** The failure type a workflow sees when a carrier refused a number operation for good. */
export const NUMBER_REFUSED = 'NumberOperationRefused';

/** Carrier refusals become non-retryable failures carrying only the vendor code; the rest is retried. */
async function carrierCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NumberOperationFailed) {
      const failure = ApplicationFailure.create({
        message: error.message,
        type: error.retryable ? 'NumberOperationFailed' : NUMBER_REFUSED,
        nonRetryable: !error.retryable,
        details: [error.code],
      });
      throw failure;
    }
    throw error;
  }
}

async function requireNumber(pool: Pool, id: string): Promise<NumberRow> {
  const row = await readNumber(pool, id);
  if (!row) throw ApplicationFailure.nonRetryable(`sender number ${id} is gone`, 'NumberGone');
  return row;
}

/**
 * The steps of ordering and releasing a number, each safe to retry: an order already placed is
 * found under our reference (the number's id), and a reference already recorded is reused.
 */
export function createNumberActivities({ pgPool, numbers }: NumberActivityDeps) {
  return {
    async orderNumberAtCarrier(numberId: string): Promise<void> {
      const row = await requireNumber(pgPool, numberId);
      if (row.telnyxOrderId !== null) return;
      const { orderId } = await carrierCall(() => numbers.inventory.order({ phone: row.phone, reference: numberId }));
      await recordCarrierRefs(pgPool, numberId, { telnyxOrderId: orderId });
    },

    async checkNumberOrder(numberId: string): Promise<NumberOrderState> {
      const row = await requireNumber(pgPool, numberId);
      if (row.telnyxOrderId === null) throw ApplicationFailure.nonRetryable('the number was never ordered', 'NumberNotOrdered');
      const orderId = row.telnyxOrderId;
      const { state, numberId: carrierNumberId } = await carrierCall(() => numbers.inventory.orderStatus(orderId));
      if (state === 'success' && carrierNumberId !== null) await recordCarrierRefs(pgPool, numberId, { telnyxNumberId: carrierNumberId });
      return state;
    },

    /** Sendable through Telnyx from here on (unless a release started meanwhile). */
    async configureNumberMessaging(numberId: string): Promise<boolean> {
      const row = await requireNumber(pgPool, numberId);
      if (row.telnyxNumberId === null) throw ApplicationFailure.nonRetryable('the order has no number yet', 'NumberNotOrdered');
      const carrierNumberId = row.telnyxNumberId;
      await carrierCall(() => numbers.inventory.configureMessaging(carrierNumberId));
      return advanceNumber(pgPool, numberId, ['ordering'], 'failover_pending');
    },

    async requestFailoverHosting(numberId: string): Promise<void> {
      const row = await requireNumber(pgPool, numberId);
      if (row.twilioHostedOrderSid !== null) return;
      const { orderId } = await carrierCall(() => numbers.hosting.requestHosting({ phone: row.phone, reference: numberId }));
      await recordCarrierRefs(pgPool, numberId, { twilioHostedOrderSid: orderId });
    },

    /** 'released': the number was released while hosting was pending, so the wait ends. */
    async checkFailoverHosting(numberId: string): Promise<HostingState | 'released'> {
      const row = await requireNumber(pgPool, numberId);
      if (row.status !== 'failover_pending') return 'released';
      if (row.twilioHostedOrderSid === null) throw ApplicationFailure.nonRetryable('hosting was never requested', 'HostingNotRequested');
      const orderId = row.twilioHostedOrderSid;
      const { state, numberId: hostedNumberId } = await carrierCall(() => numbers.hosting.hostingStatus(orderId));
      if (state === 'completed') {
        if (hostedNumberId !== null) await recordCarrierRefs(pgPool, numberId, { twilioNumberSid: hostedNumberId });
        if (!(await advanceNumber(pgPool, numberId, ['failover_pending'], 'active'))) return 'released';
      }
      return state;
    },

    async markNumberOrderFailed(numberId: string, reason: string): Promise<void> {
      await advanceNumber(pgPool, numberId, ['ordering'], 'order_failed', reason);
    },

    async recordHostingFailed(numberId: string, reason: string): Promise<void> {
      await advanceNumber(pgPool, numberId, ['failover_pending'], 'failover_pending', reason);
    },

    /** Gives the number back at both carriers, then marks it released (its quarantine began at the request). */
    async releaseNumberAtCarriers(numberId: string): Promise<void> {
      const row = await requireNumber(pgPool, numberId);
      if (row.status === 'released') return;
      await carrierCall(() => numbers.hosting.release({ orderId: row.twilioHostedOrderSid, numberId: row.twilioNumberSid }));
      const carrierNumberId = row.telnyxNumberId;
      if (carrierNumberId !== null) await carrierCall(() => numbers.inventory.release(carrierNumberId));
      await advanceNumber(pgPool, numberId, ['releasing'], 'released');
    },
  };
}

export type NumberActivities = ReturnType<typeof createNumberActivities>;
