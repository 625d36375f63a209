import { z } from 'zod';
import { BATCH_MAX, MESSAGE_BODY_MAX } from '../../services/messaging/messages-service';
import { PageQuery } from './common';

const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed', 'received'] as const;

export const SendMessageBody = z
  .object({
    to: z.string().min(1).max(40).describe('The recipient; normalised to E.164 (US when no + prefix)'),
    from: z.string().min(1).max(40).describe("One of the account's sender numbers"),
    body: z
      .string()
      .min(1)
      .max(MESSAGE_BODY_MAX)
      .regex(/\S/, 'must not be blank')
      .describe('GSM-7 or UCS-2 is chosen from the text; segments are counted and billed'),
  })
  .strict();

/**
 * An item is checked on its own in the handler (a bad one is answered in `results`, not a 422 for the
 * batch), so it is accepted as anything here; the document still describes it as a message body.
 */
const sendMessageJsonSchema = Object.fromEntries(
  Object.entries(z.toJSONSchema(SendMessageBody, { io: 'input' })).filter(([key]) => key !== '$schema'),
);
const BatchItem = z.unknown().meta({
  ...sendMessageJsonSchema,
  description: 'A POST /v1/messages body; an item that is not one is answered with its own problem in `results`',
});

export const SendBatchBody = z
  .object({
    messages: z.array(BatchItem).min(1).max(BATCH_MAX).describe('Each item is validated and answered on its own, in order'),
  })
  .strict();

const AttemptSchema = z.object({
  id: z.uuid(),
  carrier: z.string(),
  outcome: z.string(),
  errorCode: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

export const MessageSchema = z.object({
  id: z.uuid(),
  direction: z.enum(['outbound', 'inbound']),
  kind: z.enum(['api', 'campaign', 'keyword_reply', 'inbound']),
  status: z.enum(MESSAGE_STATUSES),
  from: z.string().nullable(),
  to: z.string().nullable(),
  body: z.string().nullable().describe('null once purged (90 days)'),
  encoding: z.enum(['GSM-7', 'UCS-2']),
  segments: z.number().int().describe('Segments the text takes (GSM-7: 160 characters alone, 153 each when split; UCS-2: 70 / 67)'),
  price: z
    .object({
      amount: z.string().describe('segments × the price per segment in effect when the carrier accepted it (decimal, up to 6 places)'),
      currency: z.string().describe("The account's billing currency (ISO 4217, lower case)"),
    })
    .nullable()
    .describe(
      'What the message is billed: priced at acceptance, so null until a carrier accepted it (queued, sending, failed before acceptance) and for inbound messages, which are not billed',
    ),
  carrier: z.string().nullable(),
  carrierMessageId: z.string().nullable(),
  campaignId: z.uuid().nullable(),
  error: z.object({ code: z.string(), detail: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  failedAt: z.string().nullable(),
  updatedAt: z.string(),
  attempts: z.array(AttemptSchema).optional().describe('Every carrier attempt (GET /v1/messages/{id} only)'),
});

const ItemProblem = z.object({
  type: z.string(),
  detail: z.string(),
  fields: z.array(z.object({ field: z.string(), reason: z.string() })),
});

export const SendBatchResponse = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  results: z.array(
    z.union([
      z.object({ index: z.number().int(), id: z.uuid(), status: z.literal('queued'), segments: z.number().int() }),
      z.object({ index: z.number().int(), error: ItemProblem }),
    ]),
  ),
});

export const MessageListQuery = PageQuery.extend({
  status: z.enum(MESSAGE_STATUSES).optional(),
  direction: z.enum(['outbound', 'inbound']).optional(),
  to: z.string().min(1).max(40).optional().describe('The other party (matched by its keyed hash)'),
  from: z.string().min(1).max(40).optional().describe("Our side's number"),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
  campaignId: z.uuid().optional(),
}).strict();
