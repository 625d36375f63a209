import { z } from 'zod';
import { label } from './common';

/**
 * The longest policy text accepted. Sent with every character \u-escaped (6 bytes each, as Python's
 * json does by default) the largest valid body still fits REQUEST_BODY_LIMIT's 1 MB, so no valid
 * request meets a 413.
 */
export const POLICY_TEXT_MAX_CHARS = 150_000;

export const PolicyKindSchema = z.enum(['privacy', 'dpa']);

export const PublishPolicyBody = z
  .object({
    kind: PolicyKindSchema,
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'must be 1-32 letters, digits, dots, hyphens or underscores'),
    text: label(POLICY_TEXT_MAX_CHARS).optional(),
    url: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional(),
    material: z.boolean().describe('A material change needs 30 days’ notice: every account holder is emailed and a banner shown'),
    effectiveAt: z.iso.datetime({ offset: true }),
  })
  .strict()
  .refine((b) => b.text !== undefined || b.url !== undefined, { message: 'give the text or a URL', path: ['text'] });

export const PolicyVersionSchema = z.object({
  kind: PolicyKindSchema,
  version: z.string(),
  text: z.string().nullable(),
  url: z.string().nullable(),
  material: z.boolean(),
  effectiveAt: z.string(),
  publishedAt: z.string(),
});

export const PoliciesSchema = z.object({
  data: z.array(
    z.object({
      kind: PolicyKindSchema,
      inForce: PolicyVersionSchema.nullable().describe('The version in force now'),
      upcoming: PolicyVersionSchema.nullable().describe('The next version, until its effective date'),
    }),
  ),
});
