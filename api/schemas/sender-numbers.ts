import { z } from 'zod';
import { label } from './common';

export const SenderNumberBody = z.object({ phone: z.string().min(1).max(40), label: label(100).optional() }).strict();

export const SenderNumberSchema = z.object({
  id: z.uuid(),
  phone: z.string().describe('E.164'),
  label: z.string().nullable(),
  createdAt: z.string(),
});
