import RestException from 'twilio/lib/base/RestException';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import { socketErrorCode } from '../network-errors';
import { NumberOperationFailed, retryableStatus, type HostingState, type SmsHosting } from '../numbers';
import { safeVendorCode } from '../vendor-code';
import { createTwilioClient, type TwilioCarrierConfig } from './client';

export interface TwilioHostingConfig extends TwilioCarrierConfig {
  /** Who signs the letter of authorization for hosted numbers (Twilio requires them on every order). */
  hostingAddressSid: string;
  hostingEmail: string;
  hostingContactPhone: string;
}

function failure(operation: string, error: unknown): NumberOperationFailed {
  if (error instanceof RestException || error instanceof TwilioServiceException) {
    const status = (error as { status?: number }).status ?? 0;
    const code = safeVendorCode((error as { code?: unknown }).code) ?? `HTTP_${status}`;
    return new NumberOperationFailed('twilio', operation, code, retryableStatus(status));
  }
  return new NumberOperationFailed('twilio', operation, socketErrorCode(error) ?? 'CONNECTION_ERROR', true);
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw failure(operation, error);
  }
}

const HOSTING: Record<string, HostingState> = { completed: 'completed', failed: 'failed', 'action-required': 'failed' };

/** Twilio hosted SMS through the official SDK: numbers.v2 HostedNumberOrders, IncomingPhoneNumbers to release. */
export function createTwilioSmsHosting(config: TwilioHostingConfig): SmsHosting {
  const client = createTwilioClient(config);
  return {
    async requestHosting({ phone, reference }) {
      const placed = await call('hosting lookup', () =>
        client.numbers.v2.hostedNumberOrders.list({ phoneNumber: phone, friendlyName: reference, limit: 20 }),
      );
      const open = placed.find((o) => o.status !== 'failed');
      if (open) return { orderId: open.sid };
      const order = await call('hosting request', () =>
        client.numbers.v2.hostedNumberOrders.create({
          phoneNumber: phone,
          friendlyName: reference,
          smsCapability: true,
          addressSid: config.hostingAddressSid,
          email: config.hostingEmail,
          contactPhoneNumber: config.hostingContactPhone,
        }),
      );
      return { orderId: order.sid };
    },

    async hostingStatus(orderId) {
      const order = await call('hosting status', () => client.numbers.v2.hostedNumberOrders(orderId).fetch());
      return { state: HOSTING[order.status] ?? 'pending', numberId: order.incomingPhoneNumberSid ?? null };
    },

    async release({ orderId, numberId }) {
      let hostedNumber = numberId;
      if (orderId !== null && hostedNumber === null) {
        const status = await this.hostingStatus(orderId).catch((error: unknown) => {
          if (error instanceof NumberOperationFailed && error.code === '20404') return null;
          throw error;
        });
        if (status === null) return;
        if (status.state !== 'completed') {
          await call('hosting cancel', () => client.numbers.v2.hostedNumberOrders(orderId).remove());
          return;
        }
        hostedNumber = status.numberId;
      }
      if (hostedNumber === null) return;
      const sid = hostedNumber;
      try {
        await client.incomingPhoneNumbers(sid).remove();
      } catch (error) {
        const failed = failure('release', error);
        if (failed.code === '20404') return;
        throw failed;
      }
    },
  };
}
