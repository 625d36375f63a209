import { z } from 'zod';
import { EmailAddress } from './accounts';

export const CreateSessionBody = z
  .object({
    email: EmailAddress,
    password: z.string().min(1).max(256),
    accountId: z.uuid().optional().describe('Which account, when this email owns several; without it, the newest one.'),
  })
  .strict();

export const SessionSchema = z.object({
  token: z.string().describe('A bearer token that can only create, list and revoke API keys. Shown once.'),
  accountId: z.uuid(),
  expiresAt: z.string(),
});
