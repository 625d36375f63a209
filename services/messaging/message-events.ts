import type { EntityManager } from '@mikro-orm/postgresql';
import type { CarrierId, MessageStatus } from '../../providers/sms/carrier';
import type { ServiceDeps } from '../deps';
import { DataKeyDestroyedError } from '../keyring';
import { queueCustomerEvent } from '../webhooks/customer-events';
import { WebhookDeliveryStore } from '../webhooks/webhook-delivery-store';
import { messageFactsIn, type MessageFacts } from './message-event-store';
import { statusRank } from './message-status';

/** A change customers are told about (`message.status`, `message.inbound`); ids only, never numbers or bodies. */
export type MessageEvent =
  | { type: 'message.status'; accountId: string; messageId: string; status: MessageStatus; previousStatus: MessageStatus }
  | { type: 'message.inbound'; accountId: string; messageId: string };

/**
 * `data` of a `message.status` event. Ids, statuses and codes only: the recipient's number and the
 * body are never in a payload (customers fetch them with GET /v1/messages/:id).
 */
export type MessageStatusData = {
  messageId: string;
  status: MessageStatus;
  previousStatus: MessageStatus;
  /** The carrier that took (or refused) the message; null when none was involved (suppressed before a send). */
  carrier: CarrierId | null;
  /** The stable error code of a failed or undelivered message (vendor code, `all_routes_failed`, …), else null. */
  errorCode: string | null;
  campaignId: string | null;
};

/** `data` of a `message.inbound` event: the message id and the account's own number it was sent to; never the sender's number or the text. */
export type MessageInboundData = {
  messageId: string;
  /** Our sender number the message was written to (the account's own number, not personal data). */
  to: string;
  carrier: CarrierId | null;
  receivedAt: string;
};

/**
 * The statuses customers hear about: what a carrier or the send path decided (sent and after).
 * `queued`/`sending` are the outbox's own bookkeeping; `received` is announced as `message.inbound`.
 */
export function isAnnouncedChange(previousStatus: MessageStatus, status: MessageStatus): boolean {
  return status !== previousStatus && status !== 'received' && statusRank(status) >= statusRank('sent');
}

export function messageStatusData(
  facts: MessageFacts,
  change: { status: MessageStatus; previousStatus: MessageStatus },
): MessageStatusData {
  return {
    messageId: facts.id,
    status: change.status,
    previousStatus: change.previousStatus,
    carrier: facts.carrier,
    errorCode: facts.errorCode,
    campaignId: facts.campaignId,
  };
}

export function messageInboundData(facts: MessageFacts): MessageInboundData {
  return { messageId: facts.id, to: facts.sender, carrier: facts.carrier, receivedAt: facts.createdAt.toISOString() };
}

const deliveries = new WebhookDeliveryStore();

/**
 * THE call site for customer webhooks from the carrier-webhook path (receipts, inbound, STOP
 * suppressions): called inside the transaction that made the change, so an event is published
 * exactly when its change commits. Per account and event type, one indexed query finds the
 * subscribed endpoints; only when there are some is the message row read (for the payload) and each
 * event sealed and queued. The send path publishes its own status changes set-based
 * (dispatch-status-events.ts) with the same payloads.
 */
export async function publishMessageEvents(
  em: EntityManager,
  events: MessageEvent[],
  deps: Pick<ServiceDeps, 'keyring'>,
  now = new Date(),
): Promise<void> {
  const groups = new Map<string, MessageEvent[]>();
  for (const event of events) {
    const key = `${event.accountId} ${event.type}`;
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  for (const group of groups.values()) {
    const { accountId, type } = group[0]!;
    const endpointIds = await deliveries.activeEndpointIds(em, accountId, type);
    if (endpointIds.length === 0) continue;
    let dataKey;
    try {
      dataKey = await deps.keyring.keyFor(em, accountId);
    } catch (err) {
      // An erased account has nobody left to tell, and its carrier callbacks must still be acknowledged.
      if (err instanceof DataKeyDestroyedError) continue;
      throw err;
    }
    const facts = await messageFactsIn(
      em,
      accountId,
      group.map((e) => e.messageId),
    );
    for (const event of group) {
      const fact = facts.get(event.messageId);
      if (!fact) continue;
      const data = event.type === 'message.status' ? messageStatusData(fact, event) : messageInboundData(fact);
      await queueCustomerEvent(em, { endpointIds, dataKey, type, data, now });
    }
  }
}
