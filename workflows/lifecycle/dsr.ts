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
import type { DsrActivities } from '../../activities/dsr';

/** GDPR Art. 12(3): a request is answered within one month of receipt. */
export const DSR_RESPONSE_TIME = '30 days';
/** Art. 12(3): "extended by two further months where necessary", told to the requester within the first month. */
export const DSR_MAX_EXTENSION = '60 days';
/** Privacy staff are reminded this long before the due date (each once per due date). */
export const DSR_REMINDERS = ['7 days', '2 days'] as const;

export const DSR_TYPES = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability'] as const;
export type DsrType = (typeof DSR_TYPES)[number];
/** Types the product carries out itself once the request may proceed; rectification needs a person. */
export const AUTOMATIC_DSR_TYPES: readonly DsrType[] = ['access', 'portability', 'erasure', 'restriction', 'objection'];

export const dsrWorkflowId = (requestId: string) => `dsr:${requestId}`;

/** Ids and times only: the subject's number and the requester's email stay sealed in the database. */
export interface DsrWorkflowInput {
  requestId: string;
  accountId: string;
  type: DsrType;
  receivedAtMs: number;
  /** Staff-logged requests wait for staff to verify the requester's identity before anything is done. */
  needsIdentity: boolean;
  /** Whether the request names a recipient of the account (a number or a contact) the product can act on. */
  hasSubject: boolean;
}

/** What was done, recorded on the request at completion (counts and flags, no personal data). */
export interface DsrOutcome {
  action: 'export_ready' | 'erased' | 'restricted' | 'opted_out' | 'manual';
  contactDeleted?: boolean;
  messagesPurged?: number;
  messagesSuppressed?: number;
  exportContact?: boolean;
  exportMessages?: number;
  completedBy?: string;
}

export type DsrPhase = 'awaiting_identity' | 'acting' | 'awaiting_completion' | 'completed';

export interface DsrStatus {
  requestId: string;
  phase: DsrPhase;
  dueAtMs: number;
  extendedDays: number;
  remindersSent: string[];
  overdue: boolean;
  outcome: DsrOutcome | null;
}

export const dsrStatusQuery = defineQuery<DsrStatus>('dsrStatus');
export const verifyDsrIdentityUpdate = defineUpdate<DsrStatus, [{ staffUserId: string }]>('verifyDsrIdentity');
export const extendDsrUpdate = defineUpdate<DsrStatus, [{ extensionId: string; days: number }]>('extendDsr');
export const completeDsrUpdate = defineUpdate<DsrStatus, [{ staffUserId: string }]>('completeDsr');

/** Stable failure types the API turns into 409s. */
export const DSR_REFUSALS = {
  completed: 'DsrAlreadyCompleted',
  tooLate: 'DsrExtensionAfterDueDate',
  tooLong: 'DsrExtensionTooLong',
  notVerified: 'DsrIdentityNotVerified',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

const acts = proxyActivities<DsrActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

/**
 * `dsr:<id>`: the request's deadline as a durable timer. Due 30 days after receipt (extensions
 * recorded before then move it, at most 60 days in all); privacy staff reminded 7 and 2 days before;
 * an overdue request is audited. Requests the product can carry out itself are acted on at once (or
 * once staff verified the requester's identity) and completed with what was done; the others wait
 * for staff to complete them.
 */
export async function dsrWorkflow(input: DsrWorkflowInput): Promise<DsrStatus> {
  const status: DsrStatus = {
    requestId: input.requestId,
    phase: input.needsIdentity ? 'awaiting_identity' : 'acting',
    dueAtMs: input.receivedAtMs + msToNumber(DSR_RESPONSE_TIME),
    extendedDays: 0,
    remindersSent: [],
    overdue: false,
    outcome: null,
  };
  /** When the current due date was set: a reminder whose moment had already passed then is not sent late. */
  let dueSetAtMs = input.receivedAtMs;
  const completed = () => status.phase === 'completed';

  setHandler(dsrStatusQuery, () => status);

  setHandler(verifyDsrIdentityUpdate, async ({ staffUserId }) => {
    if (completed()) throw ApplicationFailure.nonRetryable('the request is already completed', DSR_REFUSALS.completed);
    if (status.phase === 'awaiting_identity') {
      await acts.recordDsrIdentityVerified(input.requestId, staffUserId, Date.now());
      status.phase = 'acting';
    }
    return status;
  });

  setHandler(extendDsrUpdate, async ({ extensionId, days }) => {
    const refuse = async (message: string, type: string) => {
      await acts.refuseDsrExtension(input.requestId, extensionId, Date.now());
      throw ApplicationFailure.nonRetryable(message, type);
    };
    if (completed()) return refuse('the request is already completed', DSR_REFUSALS.completed);
    // The workflow's clock decides: an extension must be recorded before the due date.
    if (Date.now() >= status.dueAtMs)
      return refuse('the due date has passed: an extension must be recorded before it', DSR_REFUSALS.tooLate);
    if ((status.extendedDays + days) * DAY_MS > msToNumber(DSR_MAX_EXTENSION)) {
      return refuse(`extensions may add at most 60 days in all; ${60 - status.extendedDays} are left`, DSR_REFUSALS.tooLong);
    }
    const dueAtMs = status.dueAtMs + days * DAY_MS;
    await acts.applyDsrExtension(input.requestId, extensionId, dueAtMs, Date.now());
    status.dueAtMs = dueAtMs;
    status.extendedDays += days;
    dueSetAtMs = Date.now();
    return status;
  });

  setHandler(completeDsrUpdate, async ({ staffUserId }) => {
    if (completed()) throw ApplicationFailure.nonRetryable('the request is already completed', DSR_REFUSALS.completed);
    if (status.phase === 'awaiting_identity') {
      throw ApplicationFailure.nonRetryable("verify the requester's identity first", DSR_REFUSALS.notVerified);
    }
    const outcome: DsrOutcome = { action: 'manual', completedBy: staffUserId };
    await acts.recordDsrCompletion(input.requestId, outcome, Date.now());
    status.outcome = outcome;
    status.phase = 'completed';
    return status;
  });

  const watching = watchDeadline();

  await condition(() => status.phase !== 'awaiting_identity');
  if (!completed()) {
    if (input.hasSubject && AUTOMATIC_DSR_TYPES.includes(input.type)) {
      const outcome = await acts.carryOutDsr(input.requestId);
      if (!completed()) {
        await acts.recordDsrCompletion(input.requestId, outcome, Date.now());
        status.outcome = outcome;
        status.phase = 'completed';
      }
    } else {
      status.phase = 'awaiting_completion';
      await condition(completed);
    }
  }
  await watching;
  await condition(allHandlersFinished);
  return status;

  /** Sends the reminders as their moments come, audits the overdue moment; ends when the request completes. */
  async function watchDeadline(): Promise<void> {
    for (;;) {
      if (completed()) return;
      const now = Date.now();
      const due = status.dueAtMs;
      for (const before of DSR_REMINDERS) {
        const at = due - msToNumber(before);
        const label = `${before} before ${new Date(due).toISOString()}`;
        if (at <= now && at >= dueSetAtMs && now < due && !status.remindersSent.includes(label)) {
          await acts.remindPrivacyStaff(input.requestId, due, before);
          status.remindersSent.push(label);
        }
      }
      if (now >= due && !status.overdue) {
        await acts.recordDsrOverdue(input.requestId, due);
        status.overdue = true;
      }
      const upcoming = [...DSR_REMINDERS.map((b) => due - msToNumber(b)), due].filter((t) => t > now);
      const next = upcoming.length ? Math.min(...upcoming) : undefined;
      if (next === undefined) {
        await condition(() => completed() || status.dueAtMs !== due);
      } else {
        await condition(() => completed() || status.dueAtMs !== due, next - now);
      }
    }
  }
}
