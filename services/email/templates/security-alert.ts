import { escapeHtml } from './escape-html';

export type SecurityAlertKind = 'sign_in_failures' | 'staff_sign_in_failures' | 'totp_failures';

export interface SecurityAlert {
  kind: SecurityAlertKind;
  /** The holder user or staff user whose sign-in is under attack (an id, never the email). */
  userId: string;
  accountId: string | null;
  failures: number;
  windowMinutes: number;
  at: Date;
}

const WHAT: Record<SecurityAlertKind, string> = {
  sign_in_failures: 'failed sign-ins to account holder',
  staff_sign_in_failures: 'failed sign-ins to staff user',
  totp_failures: 'wrong TOTP codes after a correct password for staff user',
};

/** To security staff when one user's sign-in failures cross a threshold; ids only, no email or address. */
export function securityAlertEmail(alert: SecurityAlert): { subject: string; text: string; html: string } {
  const subject = `Security alert: ${alert.failures} ${WHAT[alert.kind]} ${alert.userId}`;
  const lines = [
    `${alert.failures} ${WHAT[alert.kind]} ${alert.userId}${alert.accountId ? ` (account ${alert.accountId})` : ''} within ${alert.windowMinutes} minutes, as of ${alert.at.toISOString()}.`,
    alert.kind === 'totp_failures'
      ? 'The password is known to whoever sent them: sign-in for this user is refused for the rest of the window. Reset the password and re-enrol the authenticator.'
      : 'The owner can still sign in from their own address; the addresses that failed are slowed down. Check the audit log.',
  ];
  return { subject, text: lines.join('\n'), html: lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n') };
}

/** One email per user, kind and window, even if a send is retried. */
export const securityAlertKey = (alert: SecurityAlert) =>
  `security-alert:${alert.kind}:${alert.userId}:${Math.floor(alert.at.getTime() / (alert.windowMinutes * 60_000))}`;
