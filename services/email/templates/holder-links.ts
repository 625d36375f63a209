import { escapeHtml } from './escape-html';

export type HolderLinkEmailKind = 'verify_email' | 'existing_account' | 'invitation' | 'password_reset' | 'email_change';

export interface HolderLinkEmail {
  kind: HolderLinkEmailKind;
  token: string;
  expiresAt: Date;
  /** Where the API answers (PUBLIC_BASE_URL). */
  apiBaseUrl: string;
  /** The account the link concerns (its name is the sign-up's own input, escaped in HTML); empty when it concerns none. */
  accountName: string;
}

const LEAD: Record<HolderLinkEmailKind, (account: string) => string> = {
  verify_email: (a) => `Confirm this email address for your new MassiveSMS account "${a}". Until you do, the account cannot send messages.`,
  existing_account: (a) =>
    `Someone signed up for a MassiveSMS account "${a}" with this email address, but you already have an account with us. ` +
    'If it was you and you want this account too, confirm it below; it is then yours beside the others. If it was not you, ignore this email: ' +
    'that account stays without you and cannot send messages.',
  invitation: (a) =>
    `You were invited to the MassiveSMS account "${a}". To join it, accept below with a password of your choosing; ` +
    'if you already have a MassiveSMS sign-in, sign in first and POST the token to /v1/account/invitation-acceptances instead.',
  password_reset: () =>
    'Someone asked to reset the password of your MassiveSMS sign-in. If it was you, choose a new password below; ' +
    'every session then ends. If it was not you, ignore this email: nothing changes.',
  email_change: () =>
    'Someone signed in to MassiveSMS asked to use this address for their sign-in. If it was you, confirm below: ' +
    'the change applies only then. If it was not you, ignore this email.',
};

const SUBJECT: Record<HolderLinkEmailKind, string> = {
  verify_email: 'Confirm your email for MassiveSMS',
  existing_account: 'You already have a MassiveSMS account',
  invitation: 'You were invited to a MassiveSMS account',
  password_reset: 'Reset your MassiveSMS password',
  email_change: 'Confirm your new email for MassiveSMS',
};

/** What to POST besides the token (JSON shown in the email). */
const BODY_HINT: Record<HolderLinkEmailKind, string> = {
  verify_email: '{"token": "…"}',
  existing_account: '{"token": "…"}',
  invitation: '{"token": "…", "password": "…"}',
  password_reset: '{"token": "…", "newPassword": "…"}',
  email_change: '{"token": "…"}',
};

const ENDPOINT: Record<HolderLinkEmailKind, string> = {
  verify_email: '/v1/holders/email-verifications',
  existing_account: '/v1/holders/account-claims',
  invitation: '/v1/holders/invitation-acceptances',
  password_reset: '/v1/holders/password-resets',
  email_change: '/v1/holders/email-changes',
};

/** A holder's single-use link: the only place its token ever appears. */
export function holderLinkEmail(input: HolderLinkEmail): { subject: string; text: string; html: string } {
  const subject = SUBJECT[input.kind];
  const lead = LEAD[input.kind](input.accountName);
  const when = input.expiresAt.toISOString();
  const endpoint = `${input.apiBaseUrl}${ENDPOINT[input.kind]}`;
  const text = [
    lead,
    '',
    'Your one-time token:',
    '',
    input.token,
    '',
    `POST ${endpoint} ${BODY_HINT[input.kind]}`,
    '',
    `It works once and expires at ${when}.`,
  ].join('\n');
  const html = [
    `<p>${escapeHtml(lead)}</p>`,
    `<p>Your one-time token: <code>${escapeHtml(input.token)}</code></p>`,
    `<p><code>POST ${escapeHtml(endpoint)}</code></p>`,
    `<p>It works once and expires at ${escapeHtml(when)}.</p>`,
  ].join('\n');
  return { subject, text, html };
}
