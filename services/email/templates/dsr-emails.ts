import { escapeHtml } from './escape-html';

interface Email {
  subject: string;
  text: string;
  html: string;
}

const render = (subject: string, lines: string[]): Email => ({
  subject,
  text: lines.join('\n'),
  html: lines.map((l) => (l ? `<p>${escapeHtml(l)}</p>` : '')).join('\n'),
});

/** To privacy staff, 7 and 2 days before a request is due. Ids and dates only: no subject data. */
export function dsrReminderEmail(input: { requestId: string; accountId: string; dueAt: Date; before: string }): Email {
  return render(`Data subject request ${input.requestId} is due in ${input.before}`, [
    `The data subject request ${input.requestId} (account ${input.accountId}) is due on ${input.dueAt.toISOString()}.`,
    '',
    'Complete it, or record an extension with its reason before the due date:',
    `npm run staff -- dsr show ${input.requestId}`,
  ]);
}

/** To privacy staff when a request passed its due date without being completed. */
export function dsrOverdueEmail(input: { requestId: string; accountId: string; dueAt: Date }): Email {
  return render(`Data subject request ${input.requestId} is overdue`, [
    `The data subject request ${input.requestId} (account ${input.accountId}) was due on ${input.dueAt.toISOString()} and is not completed.`,
    'This has been recorded in the audit log.',
  ]);
}

/** To the requester when the answer is extended (GDPR Art. 12(3): they are told, with the reasons). */
export function dsrExtendedEmail(input: { requestId: string; dueAt: Date; reason: string }): Email {
  return render('Your data subject request needs more time', [
    `We need more time to answer your request ${input.requestId}.`,
    `Reason: ${input.reason}`,
    `We will answer by ${input.dueAt.toISOString()}.`,
  ]);
}

/** Idempotency keys from business ids: a retried activity sends each email once. */
export const dsrEmailKeys = {
  reminder: (requestId: string, dueAt: Date, before: string) =>
    `dsr:${requestId}:reminder:${dueAt.toISOString()}:${before.replace(' ', '')}`,
  overdue: (requestId: string) => `dsr:${requestId}:overdue`,
  extended: (requestId: string, extensionId: string) => `dsr:${requestId}:extended:${extensionId}`,
};
