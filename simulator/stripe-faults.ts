import type { ServerResponse } from 'node:http';
import { decideFault } from './faults';
import type { Fault, FaultPlan } from './types';

/** What the Stripe slice needs of the shared simulator state to inject faults. */
export interface StripeFaultHooks {
  plan(): FaultPlan;
  /** Responses an ambiguous timeout never answers (destroyed on close and reset). */
  held: Set<ServerResponse>;
}

/**
 * Fault decisions for `POST /v1/billing/meter_events` (rules with vendor `stripe`, op
 * `meter_events`). A retry reuses its identifier, so each repeat of an identifier draws anew
 * (`identifier#n`): a 20 % rule fails a fifth of the requests, not a fifth of the events forever.
 */
export class MeterEventFaults {
  private readonly requests = new Map<string, number>();

  constructor(private readonly hooks: StripeFaultHooks | null) {}

  decide(identifier: string): Fault | null {
    if (this.hooks === null) return null;
    const n = (this.requests.get(identifier) ?? 0) + 1;
    this.requests.set(identifier, n);
    return decideFault(this.hooks.plan(), { vendor: 'stripe', op: 'meter_events', to: null, key: `${identifier}#${n}` });
  }

  /** An accepted request whose answer never comes (the client times out) or whose socket drops. */
  holdOrDrop(res: ServerResponse, mode: 'timeout' | 'reset'): void {
    if (mode === 'reset' || this.hooks === null) {
      res.socket?.destroy();
      return;
    }
    const held = this.hooks.held;
    held.add(res);
    res.on('close', () => held.delete(res));
  }

  reset(): void {
    this.requests.clear();
  }
}

/** Stripe's body for a fault answered with a status: 429 is a rate limit, 5xx an api_error. */
export function stripeFaultBody(fault: Extract<Fault, { kind: 'status' | 'error' }>): { status: number; body: unknown } {
  if (fault.kind === 'error')
    return {
      status: fault.status,
      body: { error: { type: 'invalid_request_error', code: String(fault.code), message: fault.title ?? 'Simulated error.' } },
    };
  if (fault.status === 429)
    return {
      status: 429,
      body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded (simulated).' } },
    };
  return { status: fault.status, body: { error: { type: 'api_error', message: 'An unknown error occurred (simulated).' } } };
}
