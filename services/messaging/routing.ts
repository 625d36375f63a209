import type { EntityManager } from '@mikro-orm/postgresql';
import type { CarrierId } from '../../providers/sms/carrier';

/** Every carrier, in the order traffic prefers them. */
export const CARRIER_PREFERENCE: readonly CarrierId[] = ['telnyx', 'twilio'];

/**
 * The carriers an account's messages may go through, first choice first. The one place routing is
 * decided: an account's subprocessor objections (a later issue) will remove carriers here.
 */
// eslint-disable-next-line @typescript-eslint/require-await, @typescript-eslint/no-unused-vars
export async function carriersFor(em: EntityManager, accountId: string): Promise<CarrierId[]> {
  return [...CARRIER_PREFERENCE];
}
