import { z } from 'zod';
import { label } from './common';
import { ApiKeyWithSecret } from './api-keys';
import { PaymentMethodDisplay } from './billing';

/**
 * One regex for the server and the OpenAPI document (JSON Schema's "email" format is looser than any
 * validator): no lookarounds, so fuzzers can generate from it.
 */
const EMAIL = /^[A-Za-z0-9_'+.-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}$/;

export const EmailAddress = z.string().max(320).regex(EMAIL, 'must be an email address such as name@example.com');

export const SignUpBody = z
  .object({
    accountName: label(200),
    email: EmailAddress,
    password: z.string().min(12, 'must be at least 12 characters').max(256),
  })
  .strict();

export const AccountSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'closed']),
  createdAt: z.string(),
  billing: z.object({ stripeCustomerId: z.string().nullable(), paymentMethod: PaymentMethodDisplay.nullable() }),
});

export const SignUpResponse = z.object({ account: AccountSchema, apiKey: ApiKeyWithSecret });
