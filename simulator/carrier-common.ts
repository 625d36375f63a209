import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutgoingCallback } from './callbacks';
import type { SimContext } from './context';
import { callbackDelay, decideFault, latencyFor } from './faults';
import { segment } from './segments';
import type { CarrierVendor, Fault, FaultOp, LedgerEntry, MessageStatus } from './types';

export const E164 = /^\+[1-9]\d{6,14}$/;

/** Our message and attempt ids, from the `m` and `a` query params of the status callback URL. */
export function attemptOf(callbackUrl: string | null): { m: string | null; a: string | null } {
  if (!callbackUrl) return { m: null, a: null };
  try {
    const query = new URL(callbackUrl).searchParams;
    return { m: query.get('m'), a: query.get('a') };
  } catch {
    return { m: null, a: null };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface GateRequest {
  vendor: CarrierVendor;
  op: FaultOp;
  to: string | null;
  key: string;
}

/** The outage window and latency of the plan, then the fault (if any) for this request. */
export async function gate(sim: SimContext, request: GateRequest): Promise<{ outage503: boolean; fault: Fault | null }> {
  const plan = sim.plan;
  const latency = latencyFor(plan, request.vendor, request.key);
  if (latency > 0) await sleep(latency);
  if (sim.outageNow(request.vendor) === 'status503') return { outage503: true, fault: null };
  return { outage503: false, fault: decideFault(plan, request) };
}

export interface VendorErrors {
  /** A bare HTTP status in the vendor's error body. */
  status(res: ServerResponse, status: number): void;
  /** A vendor error code with its HTTP status. */
  error(res: ServerResponse, status: number, code: string | number, title: string | undefined): void;
}

/**
 * Answers for the outage or fault when they mean the request is not served; true when answered.
 * For a lookup an ambiguous fault is answered here too (nothing is recorded); for a send the caller
 * records the message first and then answers ambiguously.
 */
export function answeredByFault(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  gated: { outage503: boolean; fault: Fault | null },
  errors: VendorErrors,
  op: FaultOp,
): boolean {
  const { outage503, fault } = gated;
  if (outage503) errors.status(res, 503);
  else if (fault?.kind === 'status') errors.status(res, fault.status);
  else if (fault?.kind === 'error') errors.error(res, fault.status, fault.code, fault.title);
  else if (fault?.kind === 'reset_before') req.socket.destroy();
  else if (fault?.kind === 'ambiguous' && op !== 'send') answerAmbiguously(sim, req, res, fault.mode);
  else return false;
  return true;
}

/** An ambiguous outcome after acceptance: never answer (the client times out) or drop the connection. */
export function answerAmbiguously(sim: SimContext, req: IncomingMessage, res: ServerResponse, mode: 'timeout' | 'reset'): void {
  if (mode === 'reset') {
    req.socket.destroy();
    return;
  }
  sim.held.add(res);
  res.on('close', () => sim.held.delete(res));
}

export interface LifecycleHooks {
  /** The signed status callback for the entry's current status, or null if there is nowhere to send it. */
  statusCallback(entry: LedgerEntry): OutgoingCallback | null;
  finalErrorCode(outcome: 'delivered' | 'failed', fault: Fault | null): string | null;
}

/**
 * After acceptance: the message becomes `sent`, then `delivered` or `failed`, each after a delay
 * from the plan, with a status callback for each step the plan's callback mode asks for.
 */
export function runLifecycle(sim: SimContext, entry: LedgerEntry, fault: Fault | null, hooks: LifecycleHooks): void {
  const plan = sim.plan;
  const notify = !(fault?.kind === 'ambiguous' && !fault.callback) && plan.callbacks.mode !== 'none';
  const outcome = fault?.kind === 'undelivered' ? 'failed' : plan.callbacks.outcome;
  const dispatcher = sim.callbacks;
  const step = (status: MessageStatus, errorCode: string | null, then?: () => void) => {
    sim.ledger.setStatus(entry, status, errorCode);
    const wanted = notify && (status !== 'sent' || plan.callbacks.mode === 'all');
    const callback = wanted ? hooks.statusCallback(entry) : null;
    if (callback) dispatcher.schedule(callback, 0, then && (() => then()));
    else then?.();
  };
  dispatcher.later(callbackDelay(plan, `${entry.id}:sent`), () =>
    step('sent', null, () =>
      dispatcher.later(callbackDelay(plan, `${entry.id}:final`), () => step(outcome, hooks.finalErrorCode(outcome, fault))),
    ),
  );
}

export interface AcceptedSend {
  vendor: LedgerEntry['vendor'];
  id: string;
  from: string | null;
  to: string;
  text: string;
  service: string | null;
  callbackUrl: string | null;
  m: string | null;
  a: string | null;
}

/** Records an accepted send in the ledger and starts its lifecycle; the vendor file only renders the answer. */
export function acceptMessage(
  sim: SimContext,
  send: AcceptedSend,
  fault: Fault | null,
  hooks: { statusCallback: LifecycleHooks['statusCallback']; undeliveredCode: string },
): LedgerEntry {
  const { encoding, segments } = segment(send.text);
  const entry: LedgerEntry = {
    ...send,
    from: send.from ?? '',
    segments,
    encoding,
    acceptedAt: sim.clock.now().toISOString(),
    sentAt: null,
    completedAt: null,
    status: 'queued',
    errorCode: null,
    ambiguous: fault?.kind === 'ambiguous' ? fault.mode : null,
  };
  sim.ledger.record(entry);
  runLifecycle(sim, entry, fault, {
    statusCallback: hooks.statusCallback,
    finalErrorCode: (outcome, f) =>
      outcome === 'delivered' ? null : f?.kind === 'undelivered' && f.code !== undefined ? String(f.code) : hooks.undeliveredCode,
  });
  return entry;
}
