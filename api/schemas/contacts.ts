import { isIP } from 'node:net';
import { z } from 'zod';

const attributeValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const Attributes = z
  .record(z.string().min(1).max(100), attributeValue)
  .refine((a) => Object.keys(a).length <= 100, 'at most 100 attributes');

export const OptIn = z
  .object({
    source: z.string().trim().min(1).max(200),
    ip: z
      .string()
      .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
      .nullable()
      .optional(),
    at: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();

export const ContactBody = z
  .object({
    phone: z.string().min(1).max(40),
    name: z.string().trim().max(200).nullable().optional(),
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
