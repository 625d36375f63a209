import { z } from 'zod';

export const ProblemSchema = z.object({
  type: z.string().describe('Stable URI naming the kind of problem'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});
