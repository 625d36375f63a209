import { z } from 'zod';
import { label } from './common';

export const AnnounceSubprocessorBody = z
  .object({
    vendor: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2-40 lower-case letters, digits or hyphens')
      .describe('The key adapters ask the subprocessor gate about (a carrier id for a carrier route)'),
    name: label(200),
    purpose: label(1000),
    locations: z.array(label(100)).min(1).max(30),
    recipientData: z.boolean().describe('Whether recipients’ personal data reaches it'),
    effectiveAt: z.iso.datetime({ offset: true }).describe('At least 30 days from now (DPA notice period)'),
  })
  .strict();

export const SubprocessorSchema = z.object({
  id: z.uuid(),
  vendor: z.string(),
  name: z.string(),
  purpose: z.string(),
  locations: z.array(z.string()),
  recipientData: z.boolean(),
  status: z.enum(['pending', 'active']).describe('pending: announced, not yet used; active: in use'),
  announcedAt: z.string(),
  effectiveAt: z.string(),
  activatedAt: z.string().nullable(),
});
export const SubprocessorListSchema = z.object({ data: z.array(SubprocessorSchema) });

export const ObjectionBody = z.object({ reason: label(5000) }).strict();
export const ObjectionSchema = z.object({
  id: z.uuid(),
  subprocessorId: z.uuid(),
  accountId: z.uuid(),
  reason: z.string(),
  status: z.enum(['open', 'resolved', 'unresolved']),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export const ObjectionListSchema = z.object({ data: z.array(ObjectionSchema) });
export const ObjectionParams = z.object({ id: z.uuid(), objectionId: z.uuid() }).strict();
export const ResolveObjectionBody = z
  .object({ status: z.enum(['resolved', 'unresolved']).describe('unresolved: the account’s data stays out of this subprocessor') })
  .strict();

export const ChangelogEntrySchema = z.object({
  id: z.uuid(),
  publishedAt: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
});
