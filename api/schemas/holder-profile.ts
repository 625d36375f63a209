import { z } from 'zod';
import { label } from './common';
import { ConsentRecordSchema, ConsentStateSchema } from './holder-consents';

const Country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE or US')
  .describe('ISO 3166-1 alpha-2; decides the consent defaults (EU/EEA/UK: opt-in).');

const BillingAddress = z
  .object({
    line1: label(200),
    line2: label(200).nullable().optional(),
    city: label(100),
    postalCode: label(20),
    region: label(100).nullable().optional(),
    country: Country,
  })
  .strict();

export const ProfilePatchBody = z
  .object({
    name: label(200).nullable().optional(),
    country: Country.nullable().optional(),
    billingAddress: BillingAddress.nullable().optional(),
    taxId: label(50).nullable().optional().describe('VAT or other tax ID, stored sealed.'),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field', path: ['name'] });

export const ProfileSchema = z.object({
  email: z.string(),
  name: z.string().nullable(),
  country: z.string().nullable(),
  billingAddress: BillingAddress.nullable(),
  taxId: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export const PersonalDataSchema = z.object({
  exportedAt: z.string(),
  profile: ProfileSchema,
  accounts: z.array(z.object({ accountId: z.uuid(), accountName: z.string(), role: z.string(), since: z.string() })),
  sessions: z.array(z.object({ id: z.uuid(), accountId: z.uuid(), createdAt: z.string(), expiresAt: z.string() })),
  consents: z.object({ current: z.array(ConsentStateSchema), history: z.array(ConsentRecordSchema) }),
  signInHistory: z.array(z.object({ at: z.string(), accountId: z.uuid().nullable(), sessionId: z.string().nullable() })),
  linkedSignIns: z
    .array(
      z.object({
        provider: z.literal('google'),
        issuer: z.string(),
        subject: z.string().describe("Google's stable id of the person (sub)."),
        linkedAt: z.string(),
        lastSignInAt: z.string().nullable(),
      }),
    )
    .describe('Google identities linked for sign-in (no Google token is kept).'),
  billing: z.null().describe('Billing display data, once billing keeps any (none today).'),
});

export const PasswordChangeBody = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: z.string().min(12, 'must be at least 12 characters').max(256),
  })
  .strict();
