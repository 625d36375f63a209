import { z } from 'zod';
import { EmailAddress, SignUpResponse } from './accounts';
import { SessionSchema } from './sessions';

export const GoogleStartQuery = z
  .object({
    accountName: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('The name of the account a first Google sign-in creates (default "My account").'),
    loginHint: EmailAddress.optional().describe('Passed to Google as login_hint: the Google account to preselect.'),
  })
  .strict();

/**
 * Printable ASCII (what OAuth parameters are made of), bounded so that the whole query, even
 * percent-encoded, stays far below Node's 16 KiB header limit (else the server itself answers 431).
 */
const oauthParam = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** What the issuer appends to the redirect URL: the code and state, or an error; Google adds a few more of its own. */
export const GoogleCallbackQuery = z
  .object({
    code: oauthParam(512).optional(),
    state: oauthParam(128).optional(),
    error: oauthParam(100).optional(),
    error_description: oauthParam(300).optional(),
    scope: oauthParam(300).optional(),
    authuser: oauthParam(10).optional(),
    hd: oauthParam(253).optional(),
    prompt: oauthParam(50).optional(),
    iss: oauthParam(200).optional(),
  })
  .strict();

export const GoogleSignedInSchema = SessionSchema.extend({ outcome: z.literal('signed_in') });
export const GoogleSignedUpSchema = SessionSchema.extend({
  outcome: z.literal('signed_up'),
  account: SignUpResponse.shape.account,
  apiKey: SignUpResponse.shape.apiKey,
});
export const GoogleLinkRequiredSchema = z.object({
  outcome: z.literal('link_required'),
  linkToken: z.string().describe('Send it with your password to POST /v1/auth/google/link within 15 minutes (single use).'),
  expiresAt: z.string(),
  detail: z.string(),
});

export const GoogleLinkBody = z
  .object({
    linkToken: z.string().min(1).max(100).describe('From the callback answer (msl_…).'),
    password: z.string().min(1).max(256),
  })
  .strict();

export const GoogleUnlinkedSchema = z.object({ unlinked: z.literal(true) });
