import twilio from 'twilio';
import { WebhookVerificationFailed, type CarrierWebhookEvent, type IncomingWebhook } from '../carrier';
import { callbackRefFromUrl } from '../callback-url';
import { safeVendorCode } from '../vendor-code';
import { headerValue } from '../webhook-headers';
import { twilioStatus } from './status';

const INBOUND_STATUSES = new Set(['received', 'receiving']);

function parseForm(rawBody: Buffer): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawBody.toString('utf8'))) params[key] = value;
  return params;
}

/**
 * Twilio signs HMAC-SHA1(auth token, url + sorted form params) with no timestamp, so a captured callback
 * stays valid forever. Replays are handled downstream: the product records each event id
 * (`${MessageSid}:${MessageStatus}` for a status, `MessageSid` for an inbound) in
 * provider_webhook_events and ignores one it has seen, and statuses only move forward, so a replayed
 * older status cannot regress a message.
 */
function verify(authToken: string, webhook: IncomingWebhook, params: Record<string, string>): void {
  const signature = headerValue(webhook.headers, 'x-twilio-signature');
  if (!signature || !twilio.validateRequest(authToken, signature, webhook.url, params)) {
    throw new WebhookVerificationFailed('signature');
  }
}

function toEvent(params: Record<string, string>, url: string, receivedAt: Date): CarrierWebhookEvent {
  const sid = params.MessageSid;
  if (!sid) throw new WebhookVerificationFailed('malformed');
  const status = params.MessageStatus ?? params.SmsStatus;
  if (status !== undefined && !INBOUND_STATUSES.has(status)) {
    const errorCode = safeVendorCode(params.ErrorCode);
    return {
      type: 'status',
      eventId: `${sid}:${status}`,
      carrier: 'twilio',
      carrierMessageId: sid,
      ...callbackRefFromUrl(url),
      status: twilioStatus(status),
      ...(errorCode !== undefined ? { errorCode } : {}),
      // Twilio's callbacks carry no event time: the time we received it is the best we know.
      occurredAt: receivedAt,
    };
  }
  const { From: from, To: to, Body: body } = params;
  if (!from || !to || body === undefined) throw new WebhookVerificationFailed('malformed');
  return { type: 'inbound', eventId: sid, carrier: 'twilio', carrierMessageId: sid, from, to, body, occurredAt: receivedAt };
}

export function parseTwilioWebhook(authToken: string, webhook: IncomingWebhook, receivedAt = new Date()): CarrierWebhookEvent {
  const params = parseForm(webhook.rawBody);
  verify(authToken, webhook, params);
  return toEvent(params, webhook.url, receivedAt);
}
