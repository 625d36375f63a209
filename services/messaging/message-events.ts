import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageStatus } from '../../providers/sms/carrier';

/** A change customers are told about (`message.status`, `message.inbound`); ids only, never numbers or bodies. */
export type MessageEvent =
  | { type: 'message.status'; accountId: string; messageId: string; status: MessageStatus; previousStatus: MessageStatus }
  | { type: 'message.inbound'; accountId: string; messageId: string };

/**
 * THE single call site for customer webhooks about messages: called inside the transaction that made
 * the change (receipt or inbound), so an event is published exactly when its change commits.
 * Customer webhook delivery (services/webhooks) plugs in here; until then nothing is published.
 */
export async function publishMessageEvents(_em: EntityManager, _events: MessageEvent[]): Promise<void> {
  // Wired by the customer-webhooks work: publishCustomerEvent(em, accountId, type, data, deps) per event.
}
