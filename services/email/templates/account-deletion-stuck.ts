import { escapeHtml } from './escape-html';

export interface AccountDeletionStuckEmail {
  accountId: string;
  deleteBy: Date;
  /** Deletion steps finished so far, and the one still failing. */
  stepsDone: number;
  stepsTotal: number;
  currentStep: string | null;
}

/** To privacy staff: an account's deletion is not done and its legal deadline is near. */
export function accountDeletionStuckEmail(input: AccountDeletionStuckEmail): { subject: string; text: string; html: string } {
  const deleteBy = input.deleteBy.toISOString();
  const subject = `Account deletion not done: ${input.accountId} must be deleted by ${deleteBy}`;
  const where = `${input.stepsDone} of ${input.stepsTotal} steps done${input.currentStep ? `; retrying "${input.currentStep}"` : ''}`;
  const text = [
    `The deletion of account ${input.accountId} has not finished (${where}).`,
    `The Privacy Policy promises it by ${deleteBy}. The workflow termination:${input.accountId} keeps retrying;`,
    'its last failure is in the Temporal UI. `npm run staff -- termination-status <accountId>` shows its progress.',
  ].join('\n');
  const html = [
    `<p>The deletion of account <code>${escapeHtml(input.accountId)}</code> has not finished (${escapeHtml(where)}).</p>`,
    `<p>The Privacy Policy promises it by ${escapeHtml(deleteBy)}. The workflow <code>termination:${escapeHtml(input.accountId)}</code>`,
    ' keeps retrying; its last failure is in the Temporal UI.</p>',
  ].join('\n');
  return { subject, text, html };
}

export const accountDeletionStuckKey = (accountId: string) => `termination:${accountId}:deletion-stuck`;
