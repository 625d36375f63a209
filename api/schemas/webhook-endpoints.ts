import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../db/entities/webhook-endpoint';
import { label } from './common';

const WebhookUrl = z
  .url()
  .max(2048)
  .describe(
    'https, and the host must resolve to public addresses only (loopback, private, link-local and metadata addresses are refused).',
  );

const EventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((t) => new Set(t).size === t.length, 'must not repeat an event type')
  .meta({ uniqueItems: true });

export const CreateWebhookEndpointBody = z.object({ url: WebhookUrl, eventTypes: EventTypes, description: label(500).optional() }).strict();

export const UpdateWebhookEndpointBody = z
  .object({
    url: WebhookUrl.optional(),
    eventTypes: EventTypes.optional(),
    description: label(500).nullable().optional(),
    status: z.enum(['active', 'disabled']).optional().describe("'active' enables a disabled endpoint again."),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change');

export const WebhookEndpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  disabledReason: z.string().nullable(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const WebhookEndpointWithSecret = WebhookEndpointSchema.extend({
  secret: z.string().describe('whsec_… (Standard Webhooks). Shown once; store it now.'),
});

export const WebhookAttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable().describe('A stable error class (timeout, connection_refused, …) when no HTTP status came back.'),
  durationMs: z.number().int(),
});

export const WebhookDeliverySchema = z.object({
  id: z.string().describe('The event id (evt_…), sent as the webhook-id header.'),
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attemptCount: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  attempts: z.array(WebhookAttemptSchema),
});
