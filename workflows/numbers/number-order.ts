import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { NumberActivities } from '../../activities/numbers';

/**
 * `number-order:<sender number id>`: orders the number at Telnyx, waits for the order, attaches it to
 * our messaging profile (from then on it sends through Telnyx), registers it for SMS at Twilio (a
 * hosted-SMS order that can take days, checked with a durable timer) and marks it active, sendable at
 * both carriers. Inputs and history hold ids and states only.
 */

/** Telnyx number orders usually settle within seconds to minutes. */
export const ORDER_POLL_INTERVAL = '15 seconds';
/** An order still pending after this long is given up (the carrier's own orders expire sooner). */
export const ORDER_MAX_POLLS = 240;
/** Twilio hosted-SMS orders take hours to days: checked at once, then after a minute, then less and less often. */
export const HOSTING_FIRST_CHECK_MS = 60_000;
export const HOSTING_MAX_CHECK_INTERVAL_MS = 6 * 60 * 60_000;

export type NumberOrderPhase = 'ordering' | 'failover_pending' | 'active' | 'order_failed' | 'released';

export interface NumberOrderStatus {
  numberId: string;
  phase: NumberOrderPhase;
  /** Set when the carrier refused a step: its vendor code. */
  failure: string | null;
  hostingChecks: number;
  /** Epoch ms of the next hosting check while phase is failover_pending. */
  nextHostingCheckAtMs: number | null;
}

export interface NumberOrderInput {
  numberId: string;
  accountId: string;
}

export const numberOrderWorkflowId = (numberId: string) => `number-order:${numberId}`;
export const numberOrderStatusQuery = defineQuery<NumberOrderStatus>('status');
/** Checks the hosting order now (an operator, or a carrier notice that it completed). */
export const recheckHostingSignal = defineSignal('recheckHosting');

const steps = proxyActivities<NumberActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['NumberOperationRefused'],
  },
});

function refusalCode(err: unknown): string | null {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    const code = err.cause.details?.[0];
    return typeof code === 'string' ? code : (err.cause.type ?? 'refused');
  }
  return null;
}

export async function numberOrderWorkflow(input: NumberOrderInput): Promise<NumberOrderStatus> {
  const status: NumberOrderStatus = {
    numberId: input.numberId,
    phase: 'ordering',
    failure: null,
    hostingChecks: 0,
    nextHostingCheckAtMs: null,
  };
  let recheck = false;
  setHandler(numberOrderStatusQuery, () => status);
  setHandler(recheckHostingSignal, () => {
    recheck = true;
  });

  const failOrder = async (reason: string) => {
    status.phase = 'order_failed';
    status.failure = reason;
    await steps.markNumberOrderFailed(input.numberId, reason);
    return status;
  };

  try {
    await steps.orderNumberAtCarrier(input.numberId);
  } catch (err) {
    const code = refusalCode(err);
    if (code === null) throw err;
    return failOrder(code);
  }
  let polls = 0;
  for (;;) {
    const state = await steps.checkNumberOrder(input.numberId);
    if (state === 'success') break;
    if (state === 'failure') return failOrder('carrier_order_failed');
    if (++polls >= ORDER_MAX_POLLS) return failOrder('carrier_order_timed_out');
    await sleep(ORDER_POLL_INTERVAL);
  }
  if (!(await steps.configureNumberMessaging(input.numberId))) {
    status.phase = 'released';
    return status;
  }
  status.phase = 'failover_pending';

  try {
    await steps.requestFailoverHosting(input.numberId);
  } catch (err) {
    const code = refusalCode(err);
    if (code === null) throw err;
    // Telnyx-only is still a working number: messages wait out Telnyx failures instead of failing over.
    status.failure = code;
    await steps.recordHostingFailed(input.numberId, `hosting_refused:${code}`);
    return status;
  }
  let interval = HOSTING_FIRST_CHECK_MS;
  for (;;) {
    status.hostingChecks += 1;
    const state = await steps.checkFailoverHosting(input.numberId);
    if (state === 'completed') {
      status.phase = 'active';
      break;
    }
    if (state === 'released') {
      status.phase = 'released';
      break;
    }
    if (state === 'failed') {
      status.failure = 'hosting_failed';
      await steps.recordHostingFailed(input.numberId, 'hosting_failed');
      break;
    }
    status.nextHostingCheckAtMs = Date.now() + interval;
    await condition(() => recheck, interval);
    recheck = false;
    interval = Math.min(interval * 2, HOSTING_MAX_CHECK_INTERVAL_MS);
  }
  status.nextHostingCheckAtMs = null;
  return status;
}

export const numberReleaseWorkflowId = (numberId: string) => `number-release:${numberId}`;

const release = proxyActivities<NumberActivities>({
  startToCloseTimeout: '1 minute',
  // A release must happen: carrier outages are waited out, however long they last.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['NumberGone'] },
});

/** `number-release:<sender number id>`: gives the number back at both carriers; the quarantine started at the request. */
export async function numberReleaseWorkflow(input: NumberOrderInput): Promise<void> {
  await release.releaseNumberAtCarriers(input.numberId);
}
