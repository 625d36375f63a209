import { z } from 'zod';
import { label } from './common';

/** zod-to-openapi renders zod's IP formats as a non-standard "ip"; say ipv4/ipv6 as JSON Schema does. */
const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).meta({
  anyOf: [
    { type: 'string', format: 'ipv4' },
    { type: 'string', format: 'ipv6' },
  ],
} as Record<string, unknown>);

const attributeValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const Attributes = z
  .record(z.string().min(1).max(100), attributeValue)
  .refine((a) => Object.keys(a).length <= 100, 'at most 100 attributes')
  .meta({ maxProperties: 100 });

export const OptIn = z
  .object({
    source: label(200),
    ip: IpAddress.nullable().optional(),
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
