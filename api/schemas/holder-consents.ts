import { z } from 'zod';
import { CONSENT_PURPOSES } from '../../services/holders/consent-defaults';

const Purpose = z.enum(CONSENT_PURPOSES);

export const ConsentsBody = z
  .object({
    product_analytics: z.boolean().optional().describe('Pseudonymous product analytics (PostHog).'),
    marketing_email: z.boolean().optional().describe('Product news and offers by email.'),
  })
  .strict()
  .refine((b) => b.product_analytics !== undefined || b.marketing_email !== undefined, {
    message: 'name at least one purpose',
    path: ['product_analytics'],
  });

export const ConsentRecordSchema = z.object({
  purpose: Purpose,
  granted: z.boolean(),
  policyVersion: z.string().nullable().describe('The Privacy Policy version in force when the record was made.'),
  how: z.enum(['holder_request']).describe('How the consent was given or withdrawn.'),
  recordedAt: z.string(),
});

export const ConsentStateSchema = z.object({
  purpose: Purpose,
  granted: z.boolean(),
  source: z.enum(['choice', 'default']).describe("'default': the holder has not chosen; the country's default applies."),
  policyVersion: z.string().nullable(),
  how: z
    .enum(['holder_request', 'opt_in_required', 'on_by_notice', 'off_by_policy'])
    .describe('For a choice, how it was given; for a default, the rule that set it (unknown country: opt-in required).'),
  recordedAt: z.string().nullable(),
});

export const ConsentsSchema = z.object({
  country: z.string().nullable().describe('The country the defaults were decided by (the profile country).'),
  data: z.array(ConsentStateSchema),
  history: z.array(ConsentRecordSchema).describe('The newest 100 records, newest first (the personal-data export has them all).'),
});
