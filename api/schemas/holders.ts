import { z } from 'zod';
import { MEMBERSHIP_ROLES } from '../../db/entities/account-membership';
import { EmailAddress } from './accounts';

export const EmailLinkTokenBody = z
  .object({ token: z.string().min(1).max(100).describe('The one-time token from the email (mse_…).') })
  .strict();

export const HolderLinkUseSchema = z.object({
  accountId: z.uuid().describe('The account the link was for.'),
  verified: z.literal(true),
});

const LinkToken = EmailLinkTokenBody.shape.token;
const NewPassword = z.string().min(12, 'must be at least 12 characters').max(256);
const Role = z.enum(MEMBERSHIP_ROLES);

export const EmailOnlyBody = z.object({ email: EmailAddress }).strict();

export const LinkRequestAcceptedSchema = z.object({
  status: z.literal('accepted').describe('Always the same, whether or not the email has a sign-in: look in the mailbox.'),
});

export const PasswordResetBody = z.object({ token: LinkToken, newPassword: NewPassword }).strict();

export const EmailChangedSchema = z.object({ email: z.string().describe('Your sign-in email now (proven by the link).') });

export const InvitationAcceptanceBody = z
  .object({ token: LinkToken, password: NewPassword.describe('The password of your new sign-in.') })
  .strict();

export const SignedInInvitationAcceptanceBody = EmailLinkTokenBody;

export const MembershipSchema = z.object({ accountId: z.uuid(), role: Role });

export const EmailChangeRequestBody = z
  .object({
    newEmail: EmailAddress,
    currentPassword: z.string().min(1).max(256).describe('Your current password, re-entered.'),
  })
  .strict();

export const InvitationBody = z.object({ email: EmailAddress, role: Role }).strict();

export const InvitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: Role,
  createdAt: z.string(),
  expiresAt: z.string().describe('The emailed link works until then (7 days).'),
});

export const MemberSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  role: Role,
  since: z.string(),
  verified: z.boolean().describe('Proved their mailbox for this account; only verified members receive notices.'),
});

export const MemberListSchema = z.object({ data: z.array(MemberSchema), invitations: z.array(InvitationSchema) });

export const MemberRoleBody = z.object({ role: Role }).strict();

export const AccountSwitchBody = z
  .object({ accountId: z.uuid().describe('One of your accounts (POST /v1/sessions lists them).') })
  .strict();
