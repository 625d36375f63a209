import { z } from 'zod';
import { label, Scopes } from './common';

export const CreateApiKeyBody = z.object({ name: label(100), scopes: Scopes.default(['read', 'write']) }).strict();

export const ApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  scopes: Scopes,
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const ApiKeyWithSecret = ApiKeySchema.extend({
  key: z.string().describe('The secret key. Shown once; store it now.'),
});
