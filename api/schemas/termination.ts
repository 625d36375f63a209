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
  certificate: z.record(z.string(), z.unknown()).nullable().describe('The signed deletion certificate, once deleted.'),
  certificateEmailed: z.boolean(),
});
