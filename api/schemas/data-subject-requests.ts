import { z } from 'zod';
import { DSR_TYPES } from '../../workflows/lifecycle/dsr';
import { EmailAddress } from './accounts';
import { label, PageQuery } from './common';

const DsrTypeSchema = z.enum(DSR_TYPES);
const Phone = z.string().min(1).max(40).describe('The recipient the request is about, in any format the contacts API takes.');
const ContactId = z.uuid().describe('Or: the contact the request is about.');

const oneSubject = (body: { phone?: string; contactId?: string }) => (body.phone === undefined) !== (body.contactId === undefined);
const ONE_SUBJECT = { message: 'give exactly one of phone and contactId', path: ['phone'] };

export const CreateDsrBody = z
  .object({ type: DsrTypeSchema, phone: Phone.optional(), contactId: ContactId.optional() })
  .strict()
  .refine(oneSubject, ONE_SUBJECT);

export const CreateStaffDsrBody = z
  .object({
    accountId: z.uuid(),
    type: DsrTypeSchema,
    requesterEmail: EmailAddress.describe('Who asked: told of extensions. Stored sealed.'),
    phone: Phone.optional(),
    contactId: ContactId.optional(),
  })
  .strict()
  .refine((b) => !(b.phone !== undefined && b.contactId !== undefined), ONE_SUBJECT);

export const ExtendDsrBody = z
  .object({
    days: z.number().int().min(1).max(60).describe('Added to the due date; at most 60 in all (GDPR Art. 12(3)).'),
    reason: label(1000).describe('Why: sent to the requester.'),
  })
  .strict();

export const CompleteDsrBody = z.object({ note: label(2000).describe('What was done.') }).strict();

export const StaffDsrPageQuery = PageQuery.extend({ accountId: z.uuid().optional() }).strict();

const Outcome = z
  .object({
    action: z.enum(['export_ready', 'erased', 'restricted', 'opted_out', 'manual']),
    contactDeleted: z.boolean().optional(),
    messagesPurged: z.number().optional(),
    messagesSuppressed: z.number().optional(),
    exportContact: z.boolean().optional(),
    exportMessages: z.number().optional(),
    completedBy: z.string().optional(),
  })
  .nullable();

export const DsrSchema = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  origin: z.enum(['customer', 'staff']),
  type: DsrTypeSchema,
  status: z.enum(['awaiting_identity', 'open', 'completed']),
  subject: z.object({ contactId: z.uuid().nullable(), phone: z.string().nullable() }).nullable(),
  identityVerifiedAt: z.string().nullable(),
  receivedAt: z.string(),
  dueAt: z.string().describe('30 days after receipt, moved by extensions.'),
  overdue: z.boolean(),
  completedAt: z.string().nullable(),
  outcome: Outcome,
  completionNote: z.string().nullable(),
  extensions: z.array(
    z.object({
      id: z.uuid(),
      days: z.number(),
      reason: z.string(),
      status: z.enum(['pending', 'applied', 'refused']),
      createdAt: z.string(),
    }),
  ),
});

const ProcessStatus = z
  .object({
    requestId: z.uuid(),
    phase: z.enum(['awaiting_identity', 'acting', 'awaiting_completion', 'completed']),
    dueAtMs: z.number(),
    extendedDays: z.number(),
    remindersSent: z.array(z.string()),
    overdue: z.boolean(),
    outcome: Outcome,
  })
  .nullable()
  .describe("The workflow's live status (null when it cannot be reached within 2 s).");

export const DsrDetailSchema = DsrSchema.extend({ process: ProcessStatus });
export const StaffDsrSchema = DsrSchema.extend({ requester: z.object({ email: z.string() }).nullable() });
export const StaffDsrDetailSchema = StaffDsrSchema.extend({ process: ProcessStatus });

export const DsrExportSchema = z.object({
  requestId: z.uuid(),
  generatedAt: z.string(),
  subject: z.object({ phone: z.string().nullable() }),
  contact: z
    .object({
      id: z.uuid(),
      phone: z.string(),
      name: z.string().nullable(),
      attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      optIn: z.object({ source: z.string().nullable(), ip: z.string().nullable(), at: z.string().nullable() }),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .nullable(),
  lists: z.array(z.object({ id: z.uuid(), name: z.string(), addedAt: z.string() })),
  optOut: z.object({ source: z.string(), since: z.string() }).nullable(),
  restricted: z.object({ since: z.string() }).nullable(),
  messages: z.array(
    z.object({
      id: z.uuid(),
      direction: z.string(),
      kind: z.string(),
      status: z.string(),
      sender: z.string(),
      segments: z.number(),
      encoding: z.string(),
      campaignId: z.uuid().nullable(),
      createdAt: z.string(),
      sentAt: z.string().nullable(),
      deliveredAt: z.string().nullable(),
      failedAt: z.string().nullable(),
    }),
  ),
});
