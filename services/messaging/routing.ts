import type { EntityManager } from '@mikro-orm/postgresql';
import type { CarrierId } from '../../providers/sms/carrier';

/** Every carrier, in the order traffic prefers them. */
export const CARRIER_PREFERENCE: readonly CarrierId[] = ['telnyx', 'twilio'];

/**
 * The carriers an account's messages may go through, first choice first. The one place routing is
 * decided: an account's subprocessor objections (a later issue) will remove carriers here, reading
 * them with `em`.
 */
export function carriersFor(_em: EntityManager, _accountId: string): Promise<CarrierId[]> {
  return Promise.resolve([...CARRIER_PREFERENCE]);
}
