import { escapeHtml } from './escape-html';

export interface AccountTerminatedEmail {
  accountId: string;
  exportUrl: string;
  /** For POST /v1/account/termination/confirm, when the controller wants deletion before the deadline. */
  confirmToken: string;
  deleteBy: Date;
  disposition: 'delete' | 'return_then_delete';
}

/** Sent once when an account is terminated: what happened, the export link, and the deletion date. */
export function accountTerminatedEmail(input: AccountTerminatedEmail): { subject: string; text: string; html: string } {
  const deleteBy = input.deleteBy.toISOString();
  const subject = 'Your MassiveSMS account was terminated: export your data';
  const returning = input.disposition === 'return_then_delete';
  const text = [
    `Your MassiveSMS account ${input.accountId} was terminated. Every API key was revoked, running imports and`,
    'campaigns were stopped and messages not yet sent were cancelled.',
    '',
    `${returning ? 'As you asked, your data is returned first: download' : 'You can download'} a full export (contacts with`,
    'opt-in metadata, lists, opt-outs and message metadata, as NDJSON) until the deletion starts:',
    input.exportUrl,
    '',
    `All personal data in the account is deleted by ${deleteBy} at the latest, and a deletion certificate is sent`,
    'to this address. To have it deleted sooner, confirm with',
    `POST /v1/account/termination/confirm {"token": "${input.confirmToken}"}`,
  ].join('\n');
  const html = [
    `<p>Your MassiveSMS account <code>${escapeHtml(input.accountId)}</code> was terminated. Every API key was revoked,`,
    'running imports and campaigns were stopped and messages not yet sent were cancelled.</p>',
    `<p><a href="${escapeHtml(input.exportUrl)}">Download your export</a> (NDJSON) until the deletion starts.</p>`,
    `<p>All personal data in the account is deleted by ${escapeHtml(deleteBy)} at the latest; a deletion certificate follows.`,
    ` To have it deleted sooner: <code>POST /v1/account/termination/confirm {"token": "${escapeHtml(input.confirmToken)}"}</code></p>`,
  ].join('\n');
  return { subject, text, html };
}

export const accountTerminatedKey = (accountId: string, terminatedAt: Date) =>
  `termination:${accountId}:terminated:${terminatedAt.getTime()}`;
