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
  role: z.enum(['owner', 'admin', 'developer', 'billing']).describe('Your role in the account signed in to.'),
  accounts: z
    .array(z.object({ id: z.uuid(), name: z.string(), role: z.enum(['owner', 'admin', 'developer', 'billing']) }))
    .describe('Every active account of your identity: sign in again with accountId to open another.'),
});

export const SessionListSchema = z.object({
  data: z.array(
    z.object({
      id: z.uuid(),
      accountId: z.uuid(),
      kind: z.enum(['cookie', 'token']),
      createdAt: z.string(),
      lastSeenAt: z.string().nullable(),
      expiresAt: z.string(),
      userAgentFamily: z.string().nullable(),
      addressPrefix: z.string().nullable().describe('The client address truncated to /24 (IPv6 /48); never the full address.'),
      current: z.boolean(),
    }),
  ),
});

export const RevokedSessionsSchema = z.object({ revoked: z.number().int().min(0) });
