/** What a dispatcher shard has done since it first started (carried across continue-as-new). */
export interface DispatchProgress {
  iterations: number;
  claimed: number;
  sent: number;
  failed: number;
  suppressed: number;
  /** Messages moved to the next carrier after a transient failure or a proven non-send. */
  failedOver: number;
  /** Ambiguous attempts parked for reconciliation, in total and right now. */
  ambiguous: number;
  parked: number;
  /** Handed back to the outbox with a backoff (no carrier took them this time). */
  requeued: number;
  /** Dropped from this shard because it no longer held the claim (opt-out, lease expiry). */
  lost: number;
}

export const NO_DISPATCH_PROGRESS: DispatchProgress = {
  iterations: 0,
  claimed: 0,
  sent: 0,
  failed: 0,
  suppressed: 0,
  failedOver: 0,
  ambiguous: 0,
  parked: 0,
  requeued: 0,
  lost: 0,
};
