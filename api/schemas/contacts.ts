import { z } from 'zod';
import { checkAttributes, checkIp, CONTACT_LIMITS, NUL_REASON, parseTimestamp } from '../../lib/contact-limits';

const L = CONTACT_LIMITS;
const noNul = (v: string) => !v.includes('\0');
const text = (max: number) => z.string().max(max).refine(noNul, NUL_REASON);

const attributeValue = z.union([text(L.attributeValueChars), z.number(), z.boolean(), z.null()]);

export const Attributes = z.record(text(L.attributeKeyChars).min(1), attributeValue).superRefine((a, ctx) => {
  const broken = checkAttributes(a);
  if (broken) ctx.addIssue({ code: 'custom', message: broken.reason, path: broken.key === null ? [] : [broken.key] });
});

export const OptIn = z
  .object({
    source: z.string().trim().min(1).max(L.optInSourceChars).refine(noNul, NUL_REASON),
    ip: z
      .string()
      .max(L.ipChars)
      .refine((v) => checkIp(v).ok, 'must be an IPv4 or IPv6 address')
      .nullable()
      .optional(),
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
    name: z.string().trim().max(L.nameChars).refine(noNul, NUL_REASON).nullable().optional(),
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
