import { z } from 'zod';
import { label } from './common';
import { ApiKeyWithSecret } from './api-keys';

export const SignUpBody = z
  .object({
    accountName: label(200),
    email: z.email().max(320),
    password: z.string().min(12, 'must be at least 12 characters').max(256),
  })
  .strict();

export const AccountSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'closed']),
  createdAt: z.string(),
  billing: z.object({ stripeCustomerId: z.string().nullable(), paymentMethod: z.unknown().nullable() }),
});

export const SignUpResponse = z.object({ account: AccountSchema, apiKey: ApiKeyWithSecret });
