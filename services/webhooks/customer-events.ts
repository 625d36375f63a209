import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookEventType } from '../../db/entities/webhook-endpoint';
import { openField, sealField, type DataKey, type FieldBinding } from '../../lib/crypto/sealed-field';
import { uuidv7 } from '../../lib/ids';
import type { ServiceDeps } from '../deps';
import { eventIdOf } from './event-ids';
import { WebhookDeliveryStore } from './webhook-delivery-store';

/** webhook_deliveries.payload is bound to the event: every endpoint's copy of one event is the same ciphertext. */
const payloadBinding = (eventUuid: string): FieldBinding => ({ purpose: 'webhook_deliveries.payload', rowId: eventUuid });

export const openDeliveryPayload = (dataKey: DataKey, eventUuid: string, sealed: Buffer): string =>
  openField(dataKey, payloadBinding(eventUuid), sealed).toString('utf8');

/** One event, sealed once for all its endpoints: the uuid its deliveries are stored under and the sealed envelope. */
export interface SealedCustomerEvent {
  eventUuid: string;
  payload: Buffer;
}

/**
 * THE envelope of every customer event (Standard Webhooks `{type, timestamp, data}`), sealed under
 * the account's data key and bound to a fresh event id. Both publishing paths (the ORM one below and
 * the send path's set-based one, services/messaging/dispatch-status-events.ts) seal through here.
 */
export function sealCustomerEvent(
  dataKey: DataKey,
  type: WebhookEventType,
  data: Record<string, unknown>,
  now: Date,
  /** A fixed id makes publishing the same event again a no-op (deliveries are unique per endpoint and event). */
  eventUuid = uuidv7(now.getTime()),
): SealedCustomerEvent {
  const envelope = JSON.stringify({ type, timestamp: now.toISOString(), data });
  return { eventUuid, payload: sealField(dataKey, payloadBinding(eventUuid), Buffer.from(envelope, 'utf8')) };
}

const store = new WebhookDeliveryStore();

/** Seals one event and queues it for the given endpoints (already known to be active and subscribed); returns its event id. */
export async function queueCustomerEvent(
  em: EntityManager,
  event: { endpointIds: string[]; dataKey: DataKey; type: WebhookEventType; data: Record<string, unknown>; now: Date },
): Promise<string> {
  const { eventUuid, payload } = sealCustomerEvent(event.dataKey, event.type, event.data, event.now);
  await store.insertDeliveries(em, { endpointIds: event.endpointIds, eventUuid, eventType: event.type, payload, now: event.now });
  return eventIdOf(eventUuid);
}

/**
 * Publishes a customer event inside the caller's transaction: one delivery per active endpoint of
 * the account subscribed to `type`, its payload (the Standard Webhooks envelope `{type, timestamp,
 * data}`) sealed under the account's data key. With no subscribed endpoint this is one indexed
 * query (it sits on the receipt path). Returns the event id (`evt_<uuidv7>`, the `webhook-id`
 * header), or null when nobody was subscribed.
 */
export async function publishCustomerEvent(
  em: EntityManager,
  accountId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
  deps: Pick<ServiceDeps, 'keyring'>,
  now = new Date(),
): Promise<string | null> {
  const endpointIds = await store.activeEndpointIds(em, accountId, type);
  if (endpointIds.length === 0) return null;
  const dataKey = await deps.keyring.keyFor(em, accountId);
  return queueCustomerEvent(em, { endpointIds, dataKey, type, data, now });
}
