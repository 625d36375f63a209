import Telnyx, { APIConnectionError, APIError } from 'telnyx';
import { socketErrorCode } from '../network-errors';
import { NumberOperationFailed, retryableStatus, type NumberInventory, type NumberOrderState } from '../numbers';
import { safeVendorCode } from '../vendor-code';
import { createTelnyxClient, type TelnyxCarrierConfig } from './client';

function failure(operation: string, error: unknown): NumberOperationFailed {
  if (error instanceof APIConnectionError)
    return new NumberOperationFailed('telnyx', operation, socketErrorCode(error.cause) ?? 'CONNECTION_ERROR', true);
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const errors = (error.error as { errors?: { code?: unknown }[] } | undefined)?.errors;
    const code = safeVendorCode(Array.isArray(errors) ? errors[0]?.code : undefined) ?? `HTTP_${status}`;
    return new NumberOperationFailed('telnyx', operation, code, retryableStatus(status));
  }
  return new NumberOperationFailed('telnyx', operation, 'UNEXPECTED_ERROR', true);
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw failure(operation, error);
  }
}

/** Telnyx's inventory through the official SDK: available_phone_numbers, number_orders, phone_numbers. */
export function createTelnyxNumberInventory(config: TelnyxCarrierConfig & { messagingProfileId: string }): NumberInventory {
  const client: Telnyx = createTelnyxClient(config);
  return {
    async search({ areaCode, limit }) {
      const res = await call('search', () =>
        client.availablePhoneNumbers.list({
          filter: {
            country_code: 'US',
            features: ['sms'],
            limit,
            ...(areaCode !== undefined ? { national_destination_code: areaCode } : {}),
          },
        }),
      );
      return (res.data ?? []).map((n) => n.phone_number).filter((p): p is string => typeof p === 'string');
    },

    async order({ phone, reference }) {
      // A retry after an answer that never arrived finds the order it placed instead of ordering twice.
      const placed = await call('order lookup', () => client.numberOrders.list({ filter: { customer_reference: reference } }));
      for (const existing of placed.data ?? []) {
        if (existing.id && existing.phone_numbers?.some((n) => n.phone_number === phone)) return { orderId: existing.id };
      }
      const res = await call('order', () =>
        client.numberOrders.create({
          phone_numbers: [{ phone_number: phone }],
          customer_reference: reference,
          messaging_profile_id: config.messagingProfileId,
        }),
      );
      if (!res.data?.id) throw new NumberOperationFailed('telnyx', 'order', 'NO_ORDER_ID', true);
      return { orderId: res.data.id };
    },

    async orderStatus(orderId) {
      const res = await call('order status', () => client.numberOrders.retrieve(orderId));
      const state: NumberOrderState = res.data?.status ?? 'pending';
      return { state, numberId: res.data?.phone_numbers?.[0]?.id ?? null };
    },

    async configureMessaging(numberId) {
      await call('configure messaging', () =>
        client.phoneNumbers.messaging.update(numberId, { messaging_profile_id: config.messagingProfileId }),
      );
    },

    async release(numberId) {
      try {
        await client.phoneNumbers.delete(numberId);
      } catch (error) {
        if (error instanceof APIError && error.status === 404) return;
        throw failure('release', error);
      }
    },
  };
}
