import type { CarrierId } from '../../providers/sms/carrier';

/** Where a carrier reports an attempt's status; `m` and `a` let a receipt be matched without the send's answer. */
export function statusCallbackUrl(publicBaseUrl: string, carrier: CarrierId, messageId: string, attemptId: string): string {
  const path = carrier === 'telnyx' ? '/webhooks/telnyx' : '/webhooks/twilio/status';
  const query = new URLSearchParams({ m: messageId, a: attemptId });
  return `${publicBaseUrl.replace(/\/+$/, '')}${path}?${query.toString()}`;
}
