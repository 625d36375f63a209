import { condition, defineQuery, defineSignal, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { NoticeActivities } from '../../activities/notices';

/**
 * One personal-data breach (`breach:<id>`): controllers affected are notified within 72 hours of
 * awareness (DPA §9). Staff are reminded at 24, 48 and 60 hours while the assessment is open. An
 * assessment approved before 66 hours sends the full notice; otherwise the initial notice goes out at
 * 66 hours with what is known, the full one follows on approval, and each later update is a phase of
 * its own. A breach declared late sends the initial notice at once. Ids and times only in history.
 */

export const breachWorkflowId = (breachId: string) => `breach:${breachId}`;
/** DPA §9: controllers are told without undue delay and within this long of awareness. */
export const BREACH_NOTICE_DEADLINE = '72 hours';
/** Unapproved by then, the initial notice goes out: six hours' margin before the deadline. */
export const INITIAL_NOTICE_AFTER = '66 hours';
export const REMINDERS_AFTER = ['24 hours', '48 hours', '60 hours'] as const;

export interface BreachInput {
  breachId: string;
  awareAtMs: number;
  noticeRequired: boolean;
}

export type BreachPhase = 'full' | 'initial' | 'follow-up' | `update-${number}`;

export interface BreachStatus {
  state: 'assessing' | 'notified' | 'closed' | 'no_notice';
  awareAt: string;
  deadlineAt: string;
  approved: boolean;
  deadlineAtRisk: boolean;
  remindersSent: number[];
  phases: { phase: string; at: string; accounts: number }[];
}

export const breachStatusQuery = defineQuery<BreachStatus>('status');
/** Staff approved the assessment (the API validated it and stored the content first). */
export const approveBreachSignal = defineSignal<[{ contentVersion: number }]>('approve');
/** Staff posted update `seq` (stored first); sent as its own phase once a notice has gone out. */
export const breachUpdateSignal = defineSignal<[{ seq: number }]>('update');
export const closeBreachSignal = defineSignal('close');
/** The API tells the process every stored decision after each commit: an update told again is sent once. */
export const BREACH_UPDATE_ONCE_PATCH = 'breach-update-once';

const { sendBreachReminders, sendBreachNotices, recordBreachStep } = proxyActivities<NoticeActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function breachWorkflow(input: BreachInput): Promise<BreachStatus> {
  const { breachId, awareAtMs } = input;
  let approved = false;
  /** The approved assessment's version: the notice waits until the database shows it (the signal comes first). */
  let approvedVersion = 0;
  let closed = false;
  const updates: number[] = [];
  const status: BreachStatus = {
    state: input.noticeRequired ? 'assessing' : 'no_notice',
    awareAt: new Date(awareAtMs).toISOString(),
    deadlineAt: new Date(awareAtMs + msToNumber(BREACH_NOTICE_DEADLINE)).toISOString(),
    approved: false,
    deadlineAtRisk: false,
    remindersSent: [],
    phases: [],
  };
  setHandler(breachStatusQuery, () => status);
  setHandler(approveBreachSignal, ({ contentVersion }) => {
    approved = true;
    approvedVersion = contentVersion;
    status.approved = true;
  });
  setHandler(breachUpdateSignal, ({ seq }) => {
    if (updates.includes(seq) && patched(BREACH_UPDATE_ONCE_PATCH)) return;
    updates.push(seq);
  });
  setHandler(closeBreachSignal, () => void (closed = true));

  if (!input.noticeRequired) {
    await recordBreachStep({ breachId, step: 'no_notice', atMs: Date.now() });
    return status;
  }

  const notify = async (phase: BreachPhase) => {
    const at = Date.now();
    const { accounts } = await sendBreachNotices({ breachId, phase, atMs: at, approvedVersion });
    status.phases.push({ phase, at: new Date(at).toISOString(), accounts });
  };

  const initialAt = awareAtMs + msToNumber(INITIAL_NOTICE_AFTER);
  if (Date.now() >= initialAt) {
    status.deadlineAtRisk = true;
    await recordBreachStep({ breachId, step: 'deadline_at_risk', atMs: Date.now() });
  }
  for (const after of REMINDERS_AFTER) {
    const at = awareAtMs + msToNumber(after);
    if (at <= Date.now()) continue; // only reminders still ahead
    if (await condition(() => approved, at - Date.now())) break;
    const hours = msToNumber(after) / 3_600_000;
    await sendBreachReminders({ breachId, hours, atMs: Date.now() });
    status.remindersSent.push(hours);
  }
  if (!approved && initialAt > Date.now()) await condition(() => approved, initialAt - Date.now());

  if (approved) {
    await notify('full');
  } else {
    await notify('initial');
    await condition(() => approved);
    await notify('follow-up');
  }
  status.state = 'notified';

  let sentUpdates = 0;
  for (;;) {
    await condition(() => closed || updates.length > sentUpdates);
    if (updates.length > sentUpdates) {
      await notify(`update-${updates[sentUpdates]!}`);
      sentUpdates += 1;
      continue;
    }
    status.state = 'closed';
    await recordBreachStep({ breachId, step: 'closed', atMs: Date.now() });
    return status;
  }
}
