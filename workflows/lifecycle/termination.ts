import { msToNumber } from '@temporalio/common/lib/time';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TerminationActivities } from '../../activities/termination';

/**
 * One account termination (`termination:<accountId>`), started by the API once the account is marked
 * terminated and its keys revoked. It stops the account's running work, emails the export link, then
 * waits for whichever comes first: the controller's confirmation (or staff's), or the end of the
 * 29-day grace. Until then staff may reactivate the account, which ends the process. Deletion runs
 * as one resumable activity per data class, then destroys the data key, verifies by counting, and
 * sends a signed certificate stating the termination and deletion-finished instants and whether the
 * 30-day promise was kept. The grace ends a day before the deadline, so deletion has its budget inside
 * it; if deletion is not done 12 hours before the deadline, privacy staff are emailed. Every workflow
 * of the account (found by AccountId in visibility) is ended first. Nothing personal reaches this
 * history: ids, step names, instants and counts only.
 */

export const terminationWorkflowId = (accountId: string) => `termination:${accountId}`;

/** Privacy Policy: account data is deleted within 30 days of closure; the certificate states whether it was. */
export const DELETION_DEADLINE = '30 days';
/**
 * The export grace: deletion begins at the latest this long after termination, so it has the rest of
 * the deadline (1 day) as its budget. bench:deletion deleted an account of 1M contacts and 2M messages
 * in 133 s (README: 22,531 rows/s on a shared machine); 10× that account, the most we plan for, takes
 * ~22 minutes, so a day leaves room for a worker outage and hours of retries (docs/ARCHITECTURE.md).
 */
export const DELETION_GRACE = '29 days';
/** Privacy staff hear of a deletion still not done at this point after termination, 12 hours before the deadline… */
export const STAFF_ALERT_AFTER_TERMINATION = '29.5 days';
/** …or, for a deletion begun after that point, once it has run this long without finishing. */
export const STAFF_ALERT_AFTER_DELETION_START = '1 hour';

/**
 * Terminations begun before this patch keep their recorded timers (grace to 30 days, alert at 25 days,
 * timed from the process's start) and certificates without the promise; new ones run to the deadline.
 */
export const DELETION_DEADLINE_PATCH = 'termination-deletion-deadline';
const UNPATCHED_DELETION_GRACE = '30 days';
const UNPATCHED_STAFF_ALERT_AFTER_TERMINATION = '25 days';
/**
 * When deletion begins (no reactivation can undo it then, and nothing has been sent since the
 * termination), the Stripe subscription is cancelled with a final invoice for the usage to date,
 * beside the deletion. Terminations begun before this patch did not.
 */
export const CLOSE_BILLING_PATCH = 'termination-close-billing';

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
const {
  terminationAge,
  stopAccountWork,
  sendTerminationEmail,
  reactivateAccount,
  beginDeletion,
  destroyDataKey,
  verifyDeletion,
  certifyDeletion,
} = proxyActivities<TerminationActivities>({ startToCloseTimeout: '5 minutes', retry: RETRY });
const { sendDeletionCertificate, alertPrivacyStaff, closeBilling } = proxyActivities<TerminationActivities>({
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

  const toDeadline = patched(DELETION_DEADLINE_PATCH);
  let terminatedAt = startedAt;
  let graceOver: Promise<boolean>;
  let endedWorkflows: string[] = [];
  if (toDeadline) {
    // The termination instant on this process's clock: the database says how long ago it was, so a
    // late start of this process (or a clock apart from the database's) does not move the deadline.
    terminatedAt = Date.now() - (await terminationAge(accountId)).ms;
    graceOver = condition(() => confirmed || !inGrace(), Math.max(1, terminatedAt + msToNumber(DELETION_GRACE) - Date.now()));
    endedWorkflows = (await stopAccountWork(accountId)).ended;
  } else {
    // The grace timer starts with the process, and nothing below delays it: a stuck email provider
    // (the email is retried on its own) never pushes the deletion past the deadline.
    graceOver = condition(() => confirmed || !inGrace(), UNPATCHED_DELETION_GRACE);
    await stopAccountWork(accountId);
  }
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
  const billingClosed = patched(CLOSE_BILLING_PATCH) ? closeBilling(accountId) : null;
  let finished = false;
  const certify = toDeadline
    ? () =>
        certifyDeletion(accountId, {
          terminatedAt: new Date(terminatedAt).toISOString(),
          finishedAt: new Date(Date.now()).toISOString(),
          endedWorkflows,
        })
    : () => certifyDeletion(accountId);
  const deletion = deleteEverything(accountId, progress, certify).finally(() => {
    finished = true;
  });
  const alertAt = Math.max(
    terminatedAt + msToNumber(toDeadline ? STAFF_ALERT_AFTER_TERMINATION : UNPATCHED_STAFF_ALERT_AFTER_TERMINATION),
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
  await billingClosed;
  await emailed;
  await condition(allHandlersFinished);
  return view();
}

/**
 * Every step (each resumes from its checkpoint; the lanes side by side), the key, a verification by
 * counting, the certificate.
 */
async function deleteEverything(accountId: string, progress: TerminationProgress, certify: () => Promise<void>): Promise<void> {
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
  await certify();
  await sendDeletionCertificate(accountId);
  progress.phase = 'deleted';
}
