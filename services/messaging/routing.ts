import type { CarrierId } from '../../providers/sms/carrier';
import type { SubprocessorGate } from '../subprocessors/subprocessor-gate';

/** Every carrier route, in the order traffic prefers them. */
export const CARRIER_PREFERENCE: readonly CarrierId[] = ['telnyx', 'twilio'];

/**
 * The carrier routes an account's messages may go through, first choice first: the one place routing
 * is decided. A route is its carrier's subprocessor entry (vendor = carrier id): one not yet active,
 * or one the account objected to, is left out for that account.
 */
export function carriersFor<C extends string = CarrierId>(
  gate: SubprocessorGate,
  accountId: string,
  candidates: readonly C[] = CARRIER_PREFERENCE as readonly C[],
): C[] {
  return candidates.filter((carrier) => gate.allowed(accountId, carrier));
}

/**
 * The account's routes narrowed to the carriers its sender number can send from: until the failover
 * carrier hosts the number (a hosted-SMS order can take days), only the primary. A message Telnyx
 * cannot take then waits in the outbox with a backoff instead of failing over from a number Twilio
 * would refuse.
 */
export function carriersForSender<C extends string = CarrierId>(routes: readonly C[], failoverReady: boolean): C[] {
  return failoverReady ? [...routes] : routes.filter((carrier) => carrier === CARRIER_PREFERENCE[0]);
}
