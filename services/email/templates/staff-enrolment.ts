import { escapeHtml } from './escape-html';

export interface StaffEnrolmentEmail {
  token: string;
  expiresAt: Date;
  /** Where the API answers (PUBLIC_BASE_URL). */
  apiBaseUrl: string;
  reset: boolean;
}

/** The one-time enrolment link: the only place the token ever appears. */
export function staffEnrolmentEmail(input: StaffEnrolmentEmail): { subject: string; text: string; html: string } {
  const subject = input.reset ? 'Set up your MassiveSMS staff sign-in again' : 'Set up your MassiveSMS staff sign-in';
  const when = input.expiresAt.toISOString();
  const lead = input.reset
    ? 'An administrator reset your MassiveSMS staff sign-in: your password and authenticator no longer work.'
    : 'An administrator created a MassiveSMS staff account for you.';
  const text = [
    lead,
    'Choose your own password and add the authenticator code with this one-time enrolment token:',
    '',
    input.token,
    '',
    `  npm run staff -- enrol   (the CLI asks for the token and your new password; API: POST ${input.apiBaseUrl}/staff/v1/enrolments)`,
    '',
    `It works once and expires at ${when}. Nobody else has seen your password or authenticator secret.`,
  ].join('\n');
  const html = [
    `<p>${escapeHtml(lead)}</p>`,
    '<p>Choose your own password and add the authenticator code with this one-time enrolment token:</p>',
    `<p><code>${escapeHtml(input.token)}</code></p>`,
    `<p><code>npm run staff -- enrol</code> asks for it and your new password (API: <code>POST ${escapeHtml(input.apiBaseUrl)}/staff/v1/enrolments</code>).</p>`,
    `<p>It works once and expires at ${escapeHtml(when)}.</p>`,
  ].join('\n');
  return { subject, text, html };
}
