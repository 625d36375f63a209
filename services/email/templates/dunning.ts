import { escapeHtml } from './escape-html';

export type DunningEmailKind = 'payment_failed' | 'reminder' | 'suspended' | 'resolved';

const SUBJECTS: Record<DunningEmailKind, string> = {
  payment_failed: 'Your MassiveSMS payment failed',
  reminder: 'Reminder: your MassiveSMS payment is still due',
  suspended: 'Sending is suspended on your MassiveSMS account',
  resolved: 'Your MassiveSMS payment was received',
};

const BODIES: Record<DunningEmailKind, (suspendsAt: string) => string> = {
  payment_failed: (at) =>
    `We could not charge your card for your latest invoice. Update your card (POST /v1/billing/checkout-sessions) before ${at}, or sending will be suspended.`,
  reminder: (at) => `Your latest invoice is still unpaid. Update your card before ${at}, or sending will be suspended.`,
  suspended: () => 'Your invoice is still unpaid, so sending is suspended. It resumes as soon as the invoice is paid.',
  resolved: () => 'Thank you: your invoice is paid. Sending is available again.',
};

/** The dunning emails: no amounts or card data, only what to do and by when. */
export function dunningEmail(kind: DunningEmailKind, accountId: string, suspendsAt: Date): { subject: string; text: string; html: string } {
  const body = BODIES[kind](suspendsAt.toISOString());
  return {
    subject: SUBJECTS[kind],
    text: `Account ${accountId}\n\n${body}`,
    html: `<p>Account <code>${escapeHtml(accountId)}</code></p>\n<p>${escapeHtml(body)}</p>`,
  };
}

/** Once per dunning process and step (the step's scheduled instant makes reminders distinct). */
export const dunningEmailKey = (accountId: string, kind: DunningEmailKind, startedAtMs: number, atMs: number) =>
  `dunning:${accountId}:${startedAtMs}:${kind}:${atMs}`;
