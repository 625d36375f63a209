import { z } from 'zod';

export const UsageQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).describe('Inclusive start (ISO 8601); default: the start of this month (UTC)').optional(),
    to: z.iso.datetime({ offset: true }).describe('Exclusive end (ISO 8601); default: now. At most 366 days after from').optional(),
    groupBy: z.enum(['day', 'campaign', 'sender']).default('day'),
  })
  .strict();

export const Money = z.string().describe('An amount in the currency (decimal, up to 6 places)');

const UsageLine = z.object({
  day: z.string().nullable().optional().describe('groupBy=day: the UTC date'),
  campaignId: z.string().nullable().optional().describe('groupBy=campaign: the campaign (null: messages sent through the API)'),
  sender: z.string().nullable().optional().describe('groupBy=sender: the sender number'),
  segments: z.number().int(),
  messages: z.number().int(),
  cost: Money,
});

export const UsageResponse = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(['day', 'campaign', 'sender']),
  currency: z.string(),
  totals: z.object({ segments: z.number().int(), messages: z.number().int(), cost: Money }),
  data: z.array(UsageLine),
});

export const SpendCapBody = z
  .object({
    monthlySpendCap: z
      .string()
      // Positive: at least one non-zero digit.
      .regex(/^(?=[\d.]*[1-9])\d{1,12}(\.\d{1,6})?$/, 'must be a positive decimal amount such as "250" or "99.50"')
      .nullable()
      .describe(
        'The monthly cap in the account currency; null removes it. At the cap new sends answer 402 spend_cap_reached, queued messages wait (never dropped) and running campaigns pause themselves (pausedReason spend_cap). Enforced before each dispatcher batch is sent, so concurrent sends can pass the cap by less than DISPATCH_SHARDS × DISPATCH_BATCH_SIZE messages (default 2 × 500), plus messages whose carrier answer was ambiguous and later confirmed sent',
      ),
  })
  .strict();

export const SpendCapSchema = z.object({
  currency: z.string(),
  monthlyCap: Money.nullable(),
  periodStart: z.string(),
  periodSegments: z.number().int(),
  periodSpend: Money,
  percentOfCap: z.number().nullable(),
  capReached: z.boolean(),
});

export const SpendCapResponse = z.object({ spendCap: SpendCapSchema });
