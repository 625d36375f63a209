import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * What a customer's endpoint receives (the OpenAPI document's `webhooks`): the Standard Webhooks
 * envelope, signed with the endpoint's whsec_ secret. Ids, statuses, codes and the account's own
 * number only: never a recipient's number or a message text (GET /v1/messages/:id has those).
 * Built by services/messaging/message-events.ts.
 */

const StandardWebhooksHeaders = z.object({
  'webhook-id': z.string().describe('The event id (evt_…): the same for every retry of this event. Deduplicate on it.'),
  'webhook-timestamp': z.string().describe('Unix seconds when this attempt was signed.'),
  'webhook-signature': z
    .string()
    .describe('v1,<base64 HMAC-SHA256 of "id.timestamp.body"> under the endpoint secret. Verify it with a Standard Webhooks library.'),
});

/** The Standard Webhooks envelope around an event's `data`. */
const eventSchema = <T extends z.ZodRawShape>(type: string, data: T) =>
  z
    .object({
      type: z.literal(type),
      timestamp: z.string().describe('ISO 8601: when the change was committed and the event published.'),
      data: z.object(data).strict(),
    })
    .strict();

const CarrierName = z.enum(['telnyx', 'twilio']);

export const MessageStatusEventSchema = eventSchema('message.status', {
  messageId: z.uuid(),
  status: z.enum(['sent', 'delivered', 'undelivered', 'failed', 'suppressed']),
  previousStatus: z.enum(['queued', 'sending', 'sent']),
  carrier: CarrierName.nullable().describe('The carrier that took or refused it; null if none was involved.'),
  errorCode: z.string().nullable().describe('Why it failed (a carrier code, all_routes_failed, …); null otherwise.'),
  campaignId: z.uuid().nullable(),
});

export const MessageInboundEventSchema = eventSchema('message.inbound', {
  messageId: z.uuid(),
  to: z.string().describe("Your sender number it was written to. The sender's number and the text: GET /v1/messages/:id."),
  carrier: CarrierName.nullable(),
  receivedAt: z.string(),
});

const campaignEventSchema = (type: string) =>
  eventSchema(type, {
    campaignId: z.uuid(),
    state: z.string().describe('The campaign state the event announces'),
    targeted: z.number().int(),
    queued: z.number().int(),
    skipped: z.record(z.string(), z.number().int()).describe('By reason'),
  });

export const CAMPAIGN_EVENT_SCHEMAS = {
  'campaign.started': campaignEventSchema('campaign.started'),
  'campaign.paused': campaignEventSchema('campaign.paused'),
  'campaign.completed': campaignEventSchema('campaign.completed'),
  'campaign.cancelled': campaignEventSchema('campaign.cancelled'),
};

const BillingThresholdEventSchema = eventSchema('billing.threshold_reached', {
  threshold: z.number().int().describe('50, 80 or 100 (% of the monthly spend cap)'),
  periodStart: z.string().describe('The first day of the billing month (YYYY-MM-DD, UTC)'),
  monthlyCap: z.string().describe('The cap, a decimal amount in the account currency'),
  currency: z.string(),
});

export function registerWebhookEvents(registry: OpenAPIRegistry): void {
  const events = [
    {
      type: 'campaign.started',
      schema: CAMPAIGN_EVENT_SCHEMAS['campaign.started'],
      summary: 'A launched campaign began sending (at its start time)',
    },
    { type: 'campaign.paused', schema: CAMPAIGN_EVENT_SCHEMAS['campaign.paused'], summary: 'A campaign was paused (each pause)' },
    {
      type: 'campaign.completed',
      schema: CAMPAIGN_EVENT_SCHEMAS['campaign.completed'],
      summary: 'Every recipient was sent or skipped, and every message reached a final status',
    },
    { type: 'campaign.cancelled', schema: CAMPAIGN_EVENT_SCHEMAS['campaign.cancelled'], summary: 'A campaign was cancelled' },
    {
      type: 'message.status',
      schema: MessageStatusEventSchema,
      summary: 'A message moved on: sent, delivered, undelivered, failed or suppressed (queued and sending are not announced)',
    },
    { type: 'message.inbound', schema: MessageInboundEventSchema, summary: 'A message arrived at one of your sender numbers' },
    {
      type: 'billing.threshold_reached',
      schema: BillingThresholdEventSchema,
      summary: "This month's spend reached 50, 80 or 100 % of the cap (once each per month; at 100 % sends are held)",
    },
  ];
  for (const { type, schema, summary } of events) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      summary,
      tags: ['Webhook endpoints'],
      request: { headers: StandardWebhooksHeaders, body: { content: { 'application/json': { schema } } } },
      responses: {
        200: { description: 'Any 2xx acknowledges it. Anything else (or no answer in 10 s) is retried with backoff for 3 days.' },
      },
    });
  }
}
