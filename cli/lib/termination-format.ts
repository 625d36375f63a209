import type { TerminationView } from '../../services/termination/termination-service';

const n = (x: number) => x.toLocaleString('en-US');

/** A termination process is done when its account is deleted or reactivated. */
export const terminationDone = (t: TerminationView) => t.status === 'deleted' || t.status === 'reactivated';

/** One line of progress while it runs. */
export function terminationProgress(t: TerminationView): string {
  if (t.status === 'pending' && t.phase !== 'deleting') {
    return `terminated, in grace until ${t.deleteBy} (${t.phase ?? 'process not answering'})`;
  }
  const d = t.deletion;
  return `deleting: ${d.stepsDone}/${d.stepsTotal} steps, ${n(d.rowsAffected)} rows${t.phase ? ` (${t.phase})` : ''}`;
}

/** The one-line summary. */
export function terminationSummary(t: TerminationView): string {
  switch (t.status) {
    case 'deleted':
      return (
        `account ${t.accountId} deleted at ${t.deletedAt}: ${n(t.deletion.rowsAffected)} rows in ${t.deletion.stepsTotal} steps, ` +
        `data key destroyed at ${t.keyDestroyedAt}, certificate ${String(t.certificate?.mac ?? '').slice(0, 16)}… ${t.certificateEmailed ? 'emailed' : 'owed: no email provider'}`
      );
    case 'reactivated':
      return `account ${t.accountId} reactivated at ${t.reactivatedAt}; its API keys stay revoked (the holder creates new ones)`;
    case 'pending':
      return (
        `account ${t.accountId} terminated at ${t.terminatedAt}: API keys revoked, work stopped, export link emailed; ` +
        `personal data deleted by ${t.deleteBy}${t.deleteEarly || t.confirmedAt ? ' (deletion confirmed: runs now)' : ''}`
      );
    default:
      return terminationProgress(t);
  }
}
