import { msToNumber } from '@temporalio/common/lib/time';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TerminationActivities } from '../../activities/termination';

/**
 * One account termination (`termination:<accountId>`), started by the API once the account is marked
 * terminated and its keys revoked. It stops the account's running work, emails the export link, then
 * waits for whichever comes first: the controller's confirmation (or staff's), or the end of the
 * 30-day grace. Until then staff may reactivate the account, which ends the process. Deletion runs
 * as one resumable activity per data class, then destroys the data key, verifies by counting, and
 * sends a signed certificate. If deletion is not done well before the deadline, privacy staff are
 * emailed. Nothing personal reaches this history: ids, step names and counts only.
 */

export const terminationWorkflowId = (accountId: string) => `termination:${accountId}`;

/** Privacy Policy: account data is deleted within 30 days of closure. */
export const DELETION_GRACE = '30 days';
/** Privacy staff hear of a deletion still not done at this point after termination, 5 days before the deadline… */
export const STAFF_ALERT_AFTER_TERMINATION = '25 days';
/** …or, for a deletion begun after that point, once it has run this long without finishing. */
export const STAFF_ALERT_AFTER_DELETION_START = '1 hour';

export type TerminationPhase = 'starting' | 'grace' | 'reactivating' | 'reactivated' | 'deleting' | 'certifying' | 'deleted';

export interface TerminationProgress {
  accountId: string;
  phase: TerminationPhase;
  /** Why deletion began (null before it does). */
  trigger: 'confirmed' | 'grace_ended' | null;
  stepsTotal: number;
  stepsDone: number;
  /** The steps running now (comma-separated), or null. */
  currentStep: string | null;
  /** Rows deleted or scrubbed so far, all steps together. */
  rowsAffected: number;
  staffAlerted: boolean;
}

export interface TerminationInput {
  accountId: string;
  deleteEarly: boolean;
}

export interface ReactivationInput {
  staffUserId: string;
  staffSessionId: string;
  role: string;
  reason: string;
}

export const terminationStatusQuery = defineQuery<TerminationProgress>('status');
export const confirmDeletionUpdate = defineUpdate<TerminationProgress, [{ by: 'controller' | 'staff' }]>('confirmDeletion');
export const reactivateAccountUpdate = defineUpdate<TerminationProgress, [ReactivationInput]>('reactivate');

const RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 hour' } as const;
const { stopAccountWork, sendTerminationEmail, reactivateAccount, beginDeletion, destroyDataKey, verifyDeletion, certifyDeletion } =
  proxyActivities<TerminationActivities>({ startToCloseTimeout: '5 minutes', retry: RETRY });
const { sendDeletionCertificate, alertPrivacyStaff } = proxyActivities<TerminationActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY,
});
const { runDeletionStep } = proxyActivities<TerminationActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: RETRY,
});

export async function terminationWorkflow(input: TerminationInput): Promise<TerminationProgress> {
  const { accountId } = input;
  const startedAt = Date.now();
  const progress: TerminationProgress = {
    accountId,
    phase: 'starting',
    trigger: null,
    stepsTotal: 0,
    stepsDone: 0,
    currentStep: null,
    rowsAffected: 0,
    staffAlerted: false,
  };
  let confirmed = input.deleteEarly;
  const view = (): TerminationProgress => ({ ...progress });
  const inGrace = () => progress.phase === 'starting' || progress.phase === 'grace';
  setHandler(terminationStatusQuery, view);
  setHandler(confirmDeletionUpdate, () => {
    if (progress.phase === 'reactivating' || progress.phase === 'reactivated') {
      throw ApplicationFailure.nonRetryable('the account was reactivated: there is nothing to delete', 'Reactivated');
    }
    if (inGrace()) confirmed = true;
    return view();
  });
  setHandler(reactivateAccountUpdate, async (staff) => {
    if (!inGrace() || confirmed) {
      throw ApplicationFailure.nonRetryable('deletion has begun: the account can no longer be reactivated', 'DeletionBegun');
    }
    progress.phase = 'reactivating';
    await reactivateAccount({ accountId, ...staff });
    progress.phase = 'reactivated';
    return view();
  });

  // The grace timer starts with the process, and nothing below delays it: a stuck email provider
  // (the email is retried on its own) never pushes the deletion past the deadline.
  const graceOver = condition(() => confirmed || !inGrace(), DELETION_GRACE);
  await stopAccountWork(accountId);
  if (inGrace()) progress.phase = 'grace';
  const emailed = sendTerminationEmail(accountId);
  await graceOver;
  if (progress.phase === 'reactivating' || progress.phase === 'reactivated') {
    await condition(() => progress.phase === 'reactivated' && allHandlersFinished());
    await emailed;
    return view();
  }

  progress.phase = 'deleting';
  progress.trigger = confirmed ? 'confirmed' : 'grace_ended';
  const deletionStartedAt = Date.now();
  let finished = false;
  const deletion = deleteEverything(accountId, progress).finally(() => {
    finished = true;
  });
  const alertAt = Math.max(
    startedAt + msToNumber(STAFF_ALERT_AFTER_TERMINATION),
    deletionStartedAt + msToNumber(STAFF_ALERT_AFTER_DELETION_START),
  );
  if (!(await condition(() => finished, alertAt - Date.now()))) {
    await alertPrivacyStaff({
      accountId,
      stepsDone: progress.stepsDone,
      stepsTotal: progress.stepsTotal,
      currentStep: progress.currentStep,
    });
    progress.staffAlerted = true;
  }
  await deletion;
  await emailed;
  await condition(allHandlersFinished);
  return view();
}

/**
 * Every step (each resumes from its checkpoint; the lanes side by side), the key, a verification by
 * counting, the certificate.
 */
async function deleteEverything(accountId: string, progress: TerminationProgress): Promise<void> {
  const { lanes } = await beginDeletion({ accountId, trigger: progress.trigger ?? 'confirmed' });
  progress.stepsTotal = lanes.flat().length;
  const running = new Set<string>();
  const runLane = async (steps: string[]) => {
    for (const step of steps) {
      running.add(step);
      progress.currentStep = [...running].join(', ');
      const done = await runDeletionStep({ accountId, step });
      running.delete(step);
      progress.currentStep = running.size > 0 ? [...running].join(', ') : null;
      progress.rowsAffected += done.affected;
      progress.stepsDone++;
    }
  };
  for (;;) {
    progress.stepsDone = 0;
    progress.rowsAffected = 0;
    await Promise.all(lanes.map(runLane));
    await destroyDataKey(accountId);
    // Rows written after their step ran (an import finishing late) are caught here: their steps run again.
    const { left } = await verifyDeletion(accountId);
    if (left === 0) break;
  }
  progress.phase = 'certifying';
  await certifyDeletion(accountId);
  await sendDeletionCertificate(accountId);
  progress.phase = 'deleted';
}
