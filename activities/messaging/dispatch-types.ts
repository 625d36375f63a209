import type { CarrierId } from '../../providers/sms/carrier';
import type { CarrierAvailability } from '../../services/messaging/carrier-breaker';

/**
 * What the dispatcher workflow and its activities exchange: ids, carrier names, error codes and
 * counts only. No number or body ever enters a workflow history.
 */
export interface ClaimBatchInput {
  claimToken: string;
  max: number;
  /** How long the activity may wait (polling, heartbeating) for work when the outbox is empty. */
  waitMs: number;
}

export interface ClaimBatchResult {
  /** Claimed messages grouped by the carriers their account may use, first choice first. */
  routes: { carriers: CarrierId[]; ids: string[] }[];
  /** Each carrier's breaker as this iteration sees it. */
  availability: Record<CarrierId, CarrierAvailability>;
}

export interface SendBatchInput {
  claimToken: string;
  /** Unique per activity call: a retried call finds the attempts it wrote before. */
  sendId: string;
  carrier: CarrierId;
  messageIds: string[];
}

export interface ParkedAttempt {
  messageId: string;
  attemptId: string;
}

export interface SendBatchResult {
  carrier: CarrierId;
  sent: string[];
  /** Refused for good (no failover), grouped by our error code. */
  failed: { errorCode: string; ids: string[] }[];
  /** Nothing was sent: the workflow tries the next carrier. */
  transient: string[];
  /** May have been sent: parked until a receipt or a lookup decides. */
  ambiguous: ParkedAttempt[];
  /** Epoch ms when the ambiguous ones may be looked up. */
  reconcileAt: number | null;
  suppressed: string[];
  /** No longer held by this claim (suppressed by an opt-out, re-claimed after the lease): dropped. */
  lost: string[];
  /**
   * Its quiet-hours window closed before the call: back in the outbox, waiting for the next window
   * (the claim re-plans it). Dropped by the workflow like `lost`. Absent from results recorded before it existed.
   */
  windowClosed?: string[];
  /** Its account reached its monthly spend cap: back in the outbox until the cap is raised or the month rolls over. Dropped like `lost`. */
  spendCapped?: string[];
  /** Its account's sending is suspended for non-payment: back in the outbox until the suspension is lifted. Dropped like `lost`. */
  suspended?: string[];
}

export interface ReconcileInput {
  attemptIds: string[];
}

export interface ReconcileResult {
  /** The carrier has it (receipt or lookup): the message is sent. */
  sent: string[];
  /** Settled otherwise (failed, or the message ended meanwhile): nothing more to do. */
  settled: string[];
  /** Proven never sent: the message may go to the next carrier. */
  notSent: string[];
  /** Not decidable yet (wait not over, or the carrier could not be asked). */
  waiting: string[];
  /** Epoch ms of the earliest waiting attempt's next check. */
  nextCheckAt: number | null;
}

export interface RequeueInput {
  claimToken: string;
  messageIds: string[];
}

export interface RequeueResult {
  queued: number;
  failed: number;
}
