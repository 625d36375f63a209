import type { DeletionCertificate } from '../../termination/deletion-certificate';
import { escapeHtml } from './escape-html';

/** Sent once when an account's personal data is deleted: the signed certificate, attached inline as JSON. */
export function accountDeletionCertificateEmail(certificate: DeletionCertificate): { subject: string; text: string; html: string } {
  const json = JSON.stringify(certificate, null, 2);
  const subject = 'MassiveSMS deletion certificate for your account';
  const text = [
    `All personal data of MassiveSMS account ${certificate.accountId} was deleted at ${certificate.deletedAt} and its data`,
    `key destroyed at ${certificate.keyDestroyedAt}. The certificate below is signed (mac); keep it.`,
    '',
    json,
  ].join('\n');
  const html = [
    `<p>All personal data of MassiveSMS account <code>${escapeHtml(certificate.accountId)}</code> was deleted at`,
    `${escapeHtml(certificate.deletedAt)} and its data key destroyed. The certificate below is signed; keep it.</p>`,
    `<pre>${escapeHtml(json)}</pre>`,
  ].join('\n');
  return { subject, text, html };
}

/** The one idempotency key of this email: a retried send is one email. */
export const accountDeletedKey = (accountId: string) => `termination:${accountId}:deleted`;
