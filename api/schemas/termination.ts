import { z } from 'zod';
import { TERMINATION_TOKEN_PATTERN } from '../../services/termination/termination-tokens';
import { NO_NUL } from './common';

const Reason = z.string().min(1).max(1000).regex(NO_NUL, 'must not contain U+0000');

export const TerminateAccountBody = z
  .object({
    disposition: z
      .enum(['delete', 'return_then_delete'])
      .describe('delete: the data is deleted; return_then_delete: the export link is emailed first, then the data is deleted.'),
    deleteEarly: z.boolean().optional().describe('true: deletion begins at once instead of at the end of the 30-day grace.'),
  })
  .strict();

export const StaffTerminateBody = z
  .object({
    reason: Reason,
    disposition: z.enum(['delete', 'return_then_delete']).optional(),
    deleteEarly: z.boolean().optional(),
  })
  .strict();

export const ReactivateBody = z.object({ reason: Reason }).strict();

export const TerminationTokenSchema = z
  .string()
  .max(200)
  .regex(TERMINATION_TOKEN_PATTERN, 'is not a link token from the termination email');

export const ConfirmDeletionBody = z.object({ token: TerminationTokenSchema }).strict();
export const ExportParams = z.object({ token: TerminationTokenSchema }).strict();

const StepSchema = z.object({ step: z.string(), affected: z.number().int(), done: z.boolean() });

/** services/termination/deletion-certificate.ts's DeletionCertificate. */
const DeletionCertificateSchema = z.object({
  certificate: z.literal('massivesms.account-deletion/v1'),
  accountId: z.uuid(),
  terminatedAt: z.string(),
  trigger: z
    .enum(['confirmed', 'grace_ended'])
    .describe('Why deletion began: confirmed by the controller or staff, or the 30-day grace ended.'),
  deletionStartedAt: z.string(),
  deletedAt: z.string(),
  keyDestroyedAt: z.string(),
  promise: z
    .object({ rule: z.string(), terminatedAt: z.string(), finishedAt: z.string(), kept: z.boolean() })
    .optional()
    .describe('Deletion finished within 30 days of the termination (absent from certificates made before it was stated).'),
  endedWorkflows: z.array(z.string()).optional().describe("The account's workflows the termination ended (ids only)."),
  tables: z
    .record(z.string(), z.object({ before: z.number().int(), after: z.number().int() }))
    .describe('Per table: rows holding personal data before and after (after is zero everywhere).'),
  kept: z.array(z.string()).describe('What is kept, by law, without recipients’ data.'),
  mac: z.string().describe('HMAC-SHA256 over everything else (canonical JSON).'),
});

const iso = z.string().nullable();
/** One line of GET /v1/account/export/{token} (NDJSON): `type` says which record it is. */
export const AccountExportRecordSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('account'), id: z.uuid(), name: z.string().nullable(), createdAt: iso, exportedAt: z.string() }),
    z.object({
      type: z.literal('contact'),
      id: z.uuid(),
      phone: z.string(),
      name: z.string().nullable(),
      attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      optIn: z.object({ source: z.string().nullable(), at: iso, ip: z.string().nullable() }),
      createdAt: iso,
    }),
    z.object({ type: z.literal('list'), id: z.uuid(), name: z.string(), createdAt: iso }),
    z.object({ type: z.literal('list_membership'), listId: z.uuid(), contactId: z.uuid() }),
    z.object({
      type: z.literal('opt_out'),
      id: z.uuid(),
      phone: z.string().nullable(),
      source: z.string(),
      reason: z.string().nullable(),
      createdAt: iso,
    }),
    z.object({
      type: z.literal('message'),
      id: z.uuid(),
      direction: z.enum(['inbound', 'outbound']),
      kind: z.string(),
      status: z.string(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      encoding: z.string(),
      segments: z.number().int(),
      carrier: z.string().nullable(),
      campaignId: z.uuid().nullable(),
      errorCode: z.string().nullable(),
      createdAt: iso,
      sentAt: iso,
      deliveredAt: iso,
      failedAt: iso,
    }),
  ])
  .describe('One record per line; message records carry metadata only (no bodies).');

export const TerminationSchema = z.object({
  accountId: z.uuid(),
  status: z.enum(['pending', 'deleting', 'deleted', 'reactivated']),
  disposition: z.enum(['delete', 'return_then_delete']),
  deleteEarly: z.boolean(),
  terminatedAt: z.iso.datetime(),
  deleteBy: z.iso.datetime().describe('Termination + 30 days: personal data is deleted by then at the latest.'),
  confirmedAt: z.iso.datetime().nullable(),
  deletionStartedAt: z.iso.datetime().nullable(),
  keyDestroyedAt: z.iso.datetime().nullable(),
  deletedAt: z.iso.datetime().nullable(),
  reactivatedAt: z.iso.datetime().nullable(),
  phase: z.string().nullable().describe("The termination workflow's live phase (null when it has finished or did not answer)."),
  staffAlerted: z.boolean(),
  deletion: z.object({
    stepsTotal: z.number().int(),
    stepsDone: z.number().int(),
    rowsAffected: z.number().int(),
    steps: z.array(StepSchema),
  }),
  certificate: DeletionCertificateSchema.nullable().describe('The signed deletion certificate, once deleted.'),
  certificateEmailed: z.boolean(),
});
