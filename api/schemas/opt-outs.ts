import { z } from 'zod';
import { label, PageQuery } from './common';

export const OptOutBody = z.object({ phone: z.string().min(1).max(40), reason: label(500).optional() }).strict();

export const RemoveOptOutBody = z.object({ reason: label(500).min(1, 'say why this number may be messaged again') }).strict();

export const OptOutSchema = z.object({
  id: z.uuid(),
  phone: z.string().nullable(),
  source: z.string(),
  reason: z.string().nullable(),
  createdAt: z.string(),
});

export const OptOutListQuery = PageQuery.extend({
  phone: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe('Look up one number (any format POST /v1/opt-outs takes, matched by its keyed hash): the page holds its opt-out or is empty'),
}).strict();
