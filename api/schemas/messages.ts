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

export const SendBatchBody = z
  .object({
    messages: z
      .array(z.unknown().describe('A POST /v1/messages body'))
      .min(1)
      .max(BATCH_MAX)
      .describe('Each item is validated and answered on its own, in order'),
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
  segments: z.number().int(),
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
