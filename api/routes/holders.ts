import type { EmailChange } from '../../services/holders/email-change';
import type { HolderVerification } from '../../services/holders/holder-verification';
import type { Invitations } from '../../services/holders/invitations';
import type { PasswordReset } from '../../services/holders/password-reset';
import type { VerificationResend } from '../../services/holders/verification-resend';
import { defineRoute, type RouteHost } from '../http/define-route';
import {
  EmailChangedSchema,
  EmailLinkTokenBody,
  EmailOnlyBody,
  HolderLinkUseSchema,
  InvitationAcceptanceBody,
  LinkRequestAcceptedSchema,
  MembershipSchema,
  PasswordResetBody,
} from '../schemas/holders';

export interface HolderLinkServices {
  verification: HolderVerification;
  resend: VerificationResend;
  passwordReset: PasswordReset;
  emailChange: EmailChange;
  invitations: Invitations;
}

/** The public ends of the emailed links (their tokens are the credential) and the "email me a link" requests. */
export function holderRoutes(host: RouteHost, services: HolderLinkServices): void {
  const { verification } = services;
  const tag = 'Accounts';
  const accepted = {
    202: { description: 'Accepted; the same answer whether or not the email has a sign-in', schema: LinkRequestAcceptedSchema },
  };
  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/email-verifications',
    summary: "Use the sign-up's emailed verification link: the email is proven, and the account may send",
    tag,
    auth: 'public',
    body: EmailLinkTokenBody,
    responses: { 200: { description: 'Email verified for the account', schema: HolderLinkUseSchema } },
    handler: async ({ em, body, req }) => {
      const use = await verification.verifyEmail(em, body.token, req.ip ?? 'unknown');
      return { status: 200, body: { accountId: use.accountId, verified: true } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/account-claims',
    summary: 'Use the "you already have an account" link: the new account joins your identity, as its owner',
    tag,
    auth: 'public',
    body: EmailLinkTokenBody,
    responses: { 200: { description: 'The account is yours', schema: HolderLinkUseSchema } },
    handler: async ({ em, body, req }) => {
      const use = await verification.claimAccount(em, body.token, req.ip ?? 'unknown');
      return { status: 200, body: { accountId: use.accountId, verified: true } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/email-verification-requests',
    summary: 'Email a new verification link to a sign-in that has not verified its email (it replaces the open one); 5 per hour per email',
    tag,
    auth: 'public',
    body: EmailOnlyBody,
    responses: accepted,
    handler: async ({ body, req }) => {
      await services.resend.request(body.email, req.ip ?? 'unknown');
      return { status: 202, body: { status: 'accepted' } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/password-reset-requests',
    summary: 'Email a password-reset link (valid one hour, single use); 5 per hour per email, 20 per hour per client address',
    tag,
    auth: 'public',
    body: EmailOnlyBody,
    responses: accepted,
    handler: async ({ body, req }) => {
      await services.passwordReset.request(body.email, req.ip ?? 'unknown');
      return { status: 202, body: { status: 'accepted' } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/password-resets',
    summary: 'Use the emailed reset link: sets the new password and ends every session of the sign-in',
    tag,
    auth: 'public',
    body: PasswordResetBody,
    responses: { 204: { description: 'The password is reset; sign in with the new one' } },
    handler: async ({ em, body, req }) => {
      await services.passwordReset.reset(em, body, req.ip ?? 'unknown');
      return { status: 204 };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/email-changes',
    summary: 'Use the link sent to the new address: the sign-in email changes now (the old address is told)',
    tag,
    auth: 'public',
    body: EmailLinkTokenBody,
    responses: { 200: { description: 'Changed', schema: EmailChangedSchema } },
    handler: async ({ em, body, req }) => ({ status: 200, body: await services.emailChange.apply(em, body.token, req.ip ?? 'unknown') }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/holders/invitation-acceptances',
    summary:
      'Accept an emailed invitation as a new sign-in (the password is set here; the link proves the email). An email that already signs in accepts with POST /v1/account/invitation-acceptances',
    tag,
    auth: 'public',
    body: InvitationAcceptanceBody,
    responses: { 200: { description: 'You are a member of the account', schema: MembershipSchema } },
    handler: async ({ em, body, req }) => ({ status: 200, body: await services.invitations.acceptAsNew(em, body, req.ip ?? 'unknown') }),
  });
}
