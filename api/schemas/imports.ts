import { z } from 'zod';

const column = z.string().trim().min(1).max(200).optional();

export const ImportQuery = z
  .object({
    phone_column: column,
    name_column: column,
    opt_in_source_column: column,
    opt_in_ip_column: column,
    opt_in_at_column: column,
    default_country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as US')
      .optional(),
  })
  .strict();

const Counts = {
  totalRows: z.number().int(),
  processedRows: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  optedOut: z.number().int(),
};

export const ImportErrorSchema = z.object({ row: z.number().int(), column: z.string().nullable(), reason: z.string() });

export const ImportSchema = z.object({
  id: z.uuid(),
  status: z.enum(['receiving', 'queued', 'running', 'completed', 'failed']),
  workflowId: z.string(),
  mapping: z.record(z.string(), z.string().optional()),
  ...Counts,
  failure: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  live: z
    .object({ ...Counts, status: z.string() })
    .nullable()
    .describe('Progress reported by the running workflow'),
  errors: z.array(ImportErrorSchema).describe('The first row errors, in row order'),
  errorsUrl: z.string().describe('Every row error, paginated by after_row'),
});

export const ImportErrorsQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(1000).default(100), after_row: z.coerce.number().int().min(0).default(0) })
  .strict();
