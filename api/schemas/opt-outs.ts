import { z } from 'zod';

export const OptOutBody = z.object({ phone: z.string().min(1).max(40), reason: z.string().trim().min(1).max(500).optional() }).strict();

export const RemoveOptOutBody = z
  .object({ reason: z.string().trim().min(1, 'say why this number may be messaged again').max(500) })
  .strict();

export const OptOutSchema = z.object({
  id: z.uuid(),
  phone: z.string().nullable(),
  source: z.string(),
  reason: z.string().nullable(),
  createdAt: z.string(),
});
