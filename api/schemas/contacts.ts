import { z } from 'zod';
import { checkAttributes, CONTACT_LIMITS, NUL_REASON, parseTimestamp } from '../../lib/contact-limits';
import { PageQuery, label, NO_NUL } from './common';

const L = CONTACT_LIMITS;
/** Bounded, storable text; the NUL rule is a pattern so the OpenAPI document says it too. */
const text = (max: number) => z.string().max(max).regex(NO_NUL, NUL_REASON);

/** zod-to-openapi renders zod's IP formats as a non-standard "ip"; say ipv4/ipv6 as JSON Schema does. */
const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).meta({
  anyOf: [
    { type: 'string', format: 'ipv4' },
    { type: 'string', format: 'ipv6' },
  ],
} as Record<string, unknown>);

const attributeValue = z.union([text(L.attributeValueChars), z.number(), z.boolean(), z.null()]);

export const Attributes = z
  .record(text(L.attributeKeyChars).min(1), attributeValue)
  .superRefine((a, ctx) => {
    const broken = checkAttributes(a);
    if (broken) ctx.addIssue({ code: 'custom', message: broken.reason, path: broken.key === null ? [] : [broken.key] });
  })
  .meta({ maxProperties: L.attributeCount });

export const OptIn = z
  .object({
    source: label(L.optInSourceChars),
    ip: IpAddress.nullable().optional(),
    at: z.iso
      .datetime({ offset: true })
      .superRefine((v, ctx) => {
        const parsed = parseTimestamp(v);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
      })
      .nullable()
      .optional(),
  })
  .strict();

export const ContactBody = z
  .object({
    phone: z.string().min(1).max(L.phoneChars),
    name: z.string().trim().max(L.nameChars).regex(NO_NUL, NUL_REASON).nullable().optional(),
    attributes: Attributes.optional(),
    optIn: OptIn.optional(),
  })
  .strict();

export const ContactPatchBody = ContactBody.partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

export const ContactSchema = z.object({
  id: z.uuid(),
  phone: z.string(),
  name: z.string().nullable(),
  attributes: z.record(z.string(), attributeValue),
  optIn: z.object({ source: z.string().nullable(), ip: z.string().nullable(), at: z.string().nullable() }),
  optedOut: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ContactListQuery = PageQuery.extend({
  phone: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe(
      'Look up one number (any format POST /v1/contacts takes, matched by its keyed hash): the page holds that contact or is empty',
    ),
}).strict();
