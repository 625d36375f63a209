import { z } from 'zod';

export const NoticesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

export const CustomerNoticeSchema = z.object({
  id: z.uuid(),
  processId: z.string().describe('The process that sent it: breach:<id>, subprocessor:<id>, policy:<kind>:<version>'),
  phase: z.string(),
  title: z.string(),
  body: z.string(),
  contentVersion: z.string(),
  shownFrom: z.string(),
  shownUntil: z.string().nullable().describe('A banner ends then (a policy change takes effect); null: stays'),
});

export const CustomerNoticesSchema = z.object({ data: z.array(CustomerNoticeSchema) });
