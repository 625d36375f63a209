import { getCountries } from 'libphonenumber-js';
import { z } from 'zod';
import { label } from './common';

/** The region codes libphonenumber can parse national numbers for. */
const REGION_CODES = getCountries();

const column = label(200).optional();

export const ImportQuery = z
  .object({
    phone_column: column,
    name_column: column,
    opt_in_source_column: column,
    opt_in_ip_column: column,
    opt_in_at_column: column,
    default_country: z
      .enum(REGION_CODES, { error: 'must be an ISO 3166-1 alpha-2 region code with a phone numbering plan, such as US or DE' })
      .optional()
      .describe('Region for numbers written without a country code (default US)'),
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
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Row numbers are stored as a 32-bit integer. */
    after_row: z.coerce.number().int().min(0).max(2_147_483_647).default(0).describe('Show rows after this row number'),
  })
  .strict();
