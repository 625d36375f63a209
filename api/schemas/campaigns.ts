import { z } from 'zod';
import { Money } from './usage';
import { CAMPAIGN_STATUSES } from '../../db/entities/campaign';
import { MESSAGE_BODY_MAX } from '../../services/messaging/messages-service';
import { label, NO_NUL } from './common';

const LOCAL_TIME = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')
  .describe("HH:MM in the recipient's local time");

const TEMPLATE = z
  .string()
  .min(1)
  .max(MESSAGE_BODY_MAX)
  .regex(/\S/, 'must not be blank')
  .regex(NO_NUL, 'must not contain NUL characters')
  .describe('Text with {{name}} and {{attributes.<key>}} placeholders; {{name | "there"}} gives a default for a missing value');

const AUDIENCE = z
  .object({
    listIds: z.array(z.uuid()).min(1).max(20).describe('Contacts on any of these lists'),
    excludeListIds: z.array(z.uuid()).max(20).optional().describe('minus contacts on any of these'),
  })
  .strict();

const QUIET_HOURS = z
  .object({ start: LOCAL_TIME, end: LOCAL_TIME })
  .strict()
  .describe('When recipients may be messaged, in their own zone: within 08:00–21:00 (the default), never wider');

const fields = {
  name: label(200),
  template: TEMPLATE,
  from: z.string().min(1).max(40).describe("One of the account's sender numbers"),
  audience: AUDIENCE,
  startAt: z.iso.datetime({ offset: true }).nullable().optional().describe('Launching waits until then; null or absent: at launch'),
  ratePerSecond: z.number().int().min(1).max(10_000).describe('Messages per second (capped per sender number)'),
  quietHours: QUIET_HOURS.optional(),
};

export const CampaignBody = z.object(fields).strict();

export const CampaignPatchBody = z
  .object(fields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field');

export const CampaignPreviewQuery = z
  .object({ contactId: z.uuid().optional().describe("Also render this contact's message; without it, only the audience estimate") })
  .strict();

export const AudienceEstimateSchema = z
  .object({
    recipients: z.number().int().describe('Distinct contacts on the included lists and on no excluded list'),
    excluded: z
      .object({ opted_out: z.number().int(), restricted: z.number().int(), timezone_unknown: z.number().int() })
      .describe('Recipients the send would skip, by reason: they count for nothing'),
    messages: z.number().int().describe('Messages the campaign would send: recipients less the excluded'),
    segments: z.number().int().describe("Their segments, each contact's message rendered (a name can make it UCS-2)"),
    segmentsByEncoding: z.object({ 'GSM-7': z.number().int(), 'UCS-2': z.number().int() }),
    currency: z.string(),
    pricePerSegment: Money.describe('The price per segment in effect now (billing_prices)'),
    cost: Money.describe('segments × pricePerSegment: the estimate (the bill prices each message at its acceptance)'),
    spendCapLeft: Money.nullable().describe("What is left of this month's spend cap (null: no cap)"),
    exceedsSpendCap: z.boolean().describe('The estimate is above what is left of the cap: the campaign would pause itself at the cap'),
  })
  .describe('The whole audience, estimated before anything is sent');

export const CampaignSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  template: z.string(),
  variables: z.array(z.string()),
  from: z.string(),
  audience: z.object({ listIds: z.array(z.uuid()), excludeListIds: z.array(z.uuid()) }),
  startAt: z.string().nullable(),
  ratePerSecond: z.number().int(),
  quietHours: z.object({ start: z.string(), end: z.string() }),
  launchedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const CampaignPreviewSchema = z.object({
  campaignId: z.uuid(),
  contactId: z.uuid().optional().describe('With ?contactId: the contact, and its message below'),
  body: z.string().optional(),
  characters: z.number().int().optional(),
  encoding: z.enum(['GSM-7', 'UCS-2']).optional(),
  segments: z.number().int().optional(),
  estimate: AudienceEstimateSchema,
});

const MessageCounts = z.object({
  queued: z.number().int(),
  waiting: z
    .number()
    .int()
    .describe(
      'Queued messages whose quiet-hours window closed before a carrier took them (a retry or an outage): sent at the next opening',
    ),
  sending: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  undelivered: z.number().int(),
  failed: z.number().int(),
  suppressed: z.number().int(),
});

export const CampaignProgressSchema = z
  .union([
    z.object({
      live: z.literal(false).describe('The workflow did not answer in time (or the campaign is a draft): stored state only'),
      state: z.string(),
      messages: MessageCounts,
    }),
    z.object({
      live: z.literal(true),
      state: z
        .string()
        .describe(
          'scheduled, snapshotting, sending, waiting (every pending recipient waits for its quiet hours or state cap), paused, finishing, completed or cancelled',
        ),
      targeted: z.number().int().describe('Recipients, one per number'),
      duplicates: z.number().int().describe('List memberships naming a contact already targeted'),
      queued: z.number().int(),
      skipped: z.record(z.string(), z.number().int()).describe('By reason: opted_out, restricted, contact_deleted, timezone_unknown, …'),
      waitingQuietHours: z
        .number()
        .int()
        .describe('Recipients outside their quiet hours (their state rule included): pending ones, and messages.waiting'),
      waitingMessageCap: z.number().int().describe("Pending recipients over their state's cap on marketing messages per 24 h"),
      pausedReason: z
        .string()
        .nullable()
        .describe(
          'Why the campaign paused itself: sender_unavailable (its sender number was removed; re-add it and resume), spend_cap (the account reached its monthly spend cap; resume once the cap is raised or the month rolled over) or account_suspended (sending is suspended for an unpaid invoice; it resumes once the invoice is paid and a caller resumes it). null when paused by a caller',
        ),
      nextOpeningAt: z.string().nullable(),
      remaining: z.number().int(),
      ratePerSecond: z.number().int(),
      estimatedFinishAt: z.string().nullable(),
      messages: MessageCounts,
    }),
  ])
  .describe('Live progress from the workflow, and the outbox per status');

export const CampaignWithProgressSchema = CampaignSchema.extend({ progress: CampaignProgressSchema });
export const LaunchedCampaignSchema = CampaignWithProgressSchema.extend({ estimate: AudienceEstimateSchema });
