import type Telnyx from 'telnyx';
import { TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';
import { z } from 'zod';
import { WebhookVerificationFailed, type CarrierWebhookEvent, type IncomingWebhook } from '../carrier';
import { callbackRefFromUrl } from '../callback-url';
import { safeVendorCode } from '../vendor-code';
import { headerValue } from '../webhook-headers';
import { telnyxRecipientStatus } from './status';

/** Telnyx's documented tolerance, also the SDK's: a signed event older or newer than this is a replay. */
export const TELNYX_WEBHOOK_TOLERANCE_SECONDS = 300;

const phoneField = z.union([z.string(), z.object({ phone_number: z.string() }).loose()]);

const messagePayload = z
  .object({
    id: z.string().min(1),
    from: phoneField.optional(),
    to: z.union([z.array(z.object({ phone_number: z.string().optional(), status: z.string().optional() }).loose()), z.string()]).optional(),
    text: z.string().nullish(),
    webhook_url: z.string().nullish(),
    errors: z.array(z.object({ code: z.union([z.string(), z.number()]).optional() }).loose()).nullish(),
  })
  .loose();

const envelope = z
  .object({
    data: z
      .object({
        id: z.string().min(1),
        event_type: z.string(),
        occurred_at: z.iso.datetime({ offset: true }),
        payload: messagePayload,
      })
      .loose(),
  })
  .loose();

type MessagePayload = z.infer<typeof messagePayload>;

function phoneOf(field: z.infer<typeof phoneField> | undefined): string | undefined {
  return typeof field === 'string' ? field : field?.phone_number;
}

function firstRecipient(payload: MessagePayload): { phone?: string; status?: string } {
  if (typeof payload.to === 'string') return { phone: payload.to };
  const first = payload.to?.[0];
  return { phone: first?.phone_number, status: first?.status };
}

/**
 * Rejects before the signature check what cannot be judged (no headers, a timestamp that is not a
 * number) and what is outside the tolerance, so each failure has its own reason; the SDK's verifier
 * (which checks the same tolerance again) then judges the ed25519 signature over `${timestamp}|${body}`.
 */
async function verify(client: Telnyx, webhook: IncomingWebhook, nowMs: number): Promise<void> {
  const signature = headerValue(webhook.headers, 'telnyx-signature-ed25519');
  const timestamp = headerValue(webhook.headers, 'telnyx-timestamp');
  if (!signature || !timestamp) throw new WebhookVerificationFailed('signature');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationFailed('malformed');
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > TELNYX_WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationFailed('stale');
  }
  try {
    await client.webhooks.unwrap(webhook.rawBody.toString('utf8'), { headers: webhook.headers });
  } catch (error) {
    // unwrap also parses the body once verified: a parse error there is a signed body we cannot read.
    throw new WebhookVerificationFailed(error instanceof TelnyxWebhookVerificationError ? 'signature' : 'malformed');
  }
}

function toEvent(parsed: z.infer<typeof envelope>): CarrierWebhookEvent {
  const { id: eventId, event_type: eventType, occurred_at: occurredAt, payload } = parsed.data;
  const recipient = firstRecipient(payload);
  if (eventType === 'message.received') {
    const from = phoneOf(payload.from);
    if (!from || !recipient.phone) throw new WebhookVerificationFailed('malformed');
    return {
      type: 'inbound',
      eventId,
      carrier: 'telnyx',
      carrierMessageId: payload.id,
      from,
      to: recipient.phone,
      body: payload.text ?? '',
      occurredAt: new Date(occurredAt),
    };
  }
  if (eventType === 'message.sent' || eventType === 'message.finalized' || eventType === 'message.read') {
    const errorCode = safeVendorCode(payload.errors?.[0]?.code);
    return {
      type: 'status',
      eventId,
      carrier: 'telnyx',
      carrierMessageId: payload.id,
      ...callbackRefFromUrl(payload.webhook_url),
      status: eventType === 'message.read' ? 'delivered' : telnyxRecipientStatus(recipient.status),
      ...(errorCode !== undefined ? { errorCode } : {}),
      occurredAt: new Date(occurredAt),
    };
  }
  // Another product's event on this endpoint: not ours to interpret.
  throw new WebhookVerificationFailed('malformed');
}

export async function parseTelnyxWebhook(client: Telnyx, webhook: IncomingWebhook, nowMs = Date.now()): Promise<CarrierWebhookEvent> {
  await verify(client, webhook, nowMs);
  let json: unknown;
  try {
    json = JSON.parse(webhook.rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationFailed('malformed');
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) throw new WebhookVerificationFailed('malformed');
  return toEvent(parsed.data);
}
