/**
 * Who may take a delivery slot next. One slow or hung receiver must not decide how fast every other
 * account's events go out, so delivery is a pool of slots with a limit per endpoint, and an endpoint
 * whose receiver answers slowly gets one slot until it answers quickly again.
 */

/** POSTs in flight at once per delivering process. */
export const WEBHOOK_DELIVERY_CONCURRENCY = 16;
/** POSTs in flight at once to one endpoint. */
export const WEBHOOK_ENDPOINT_CONCURRENCY = 4;
/** An attempt that took longer than this (a 2xx included) marks its endpoint slow... */
export const WEBHOOK_SLOW_ATTEMPT_MS = 2_000;
/** ...which then has this many slots... */
export const WEBHOOK_SLOW_ENDPOINT_CONCURRENCY = 1;
/** ...until an attempt answers quickly, or this long after its last slow one. */
export const WEBHOOK_SLOW_MARK_MS = 10 * 60 * 1000;

/** The per-endpoint limits a claim must respect: endpoints not listed may take `defaultCap` rows. */
export interface EndpointCaps {
  defaultCap: number;
  endpointIds: string[];
  caps: number[];
}

export class EndpointSlots {
  private readonly inFlight = new Map<string, number>();
  /** Endpoint → until when it counts as slow (process memory only: a restart starts everyone fast). */
  private readonly slowUntil = new Map<string, number>();
  private total = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  get busy(): number {
    return this.total;
  }

  get free(): number {
    return Math.max(0, WEBHOOK_DELIVERY_CONCURRENCY - this.total);
  }

  isSlow(endpointId: string): boolean {
    const until = this.slowUntil.get(endpointId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.slowUntil.delete(endpointId);
    return false;
  }

  /** Nothing of it in flight and not slow: it cannot be what keeps a round open. */
  isIdle(endpointId: string): boolean {
    return !this.inFlight.has(endpointId) && !this.isSlow(endpointId);
  }

  capOf(endpointId: string): number {
    const limit = this.isSlow(endpointId) ? WEBHOOK_SLOW_ENDPOINT_CONCURRENCY : WEBHOOK_ENDPOINT_CONCURRENCY;
    return Math.max(0, limit - (this.inFlight.get(endpointId) ?? 0));
  }

  /** Caps for every endpoint with something in flight or marked slow; `onlyIdle` gives those none at all. */
  caps(onlyIdle = false): EndpointCaps {
    const known = new Set([...this.inFlight.keys(), ...this.slowUntil.keys()]);
    const endpointIds = [...known];
    return {
      defaultCap: WEBHOOK_ENDPOINT_CONCURRENCY,
      endpointIds,
      caps: endpointIds.map((id) => (onlyIdle && !this.isIdle(id) ? 0 : this.capOf(id))),
    };
  }

  start(endpointId: string): void {
    this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 0) + 1);
    this.total++;
  }

  finish(endpointId: string, durationMs: number): void {
    const left = (this.inFlight.get(endpointId) ?? 1) - 1;
    if (left > 0) this.inFlight.set(endpointId, left);
    else this.inFlight.delete(endpointId);
    this.total--;
    if (durationMs > WEBHOOK_SLOW_ATTEMPT_MS) this.slowUntil.set(endpointId, this.now() + WEBHOOK_SLOW_MARK_MS);
    else this.slowUntil.delete(endpointId);
  }
}
