import { defineQuery, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { NoticeActivities } from '../../activities/notices';

/**
 * A new subprocessor (`subprocessor:<id>`): announced at once (changelog, email to every active
 * account, a banner), then at least 30 days' notice before it may be used. At the effective date it
 * becomes active, except for accounts whose objection is unresolved: their data never reaches it
 * (the subprocessor gate leaves them out) and they are offered termination of that scope.
 */

export const subprocessorWorkflowId = (subprocessorId: string) => `subprocessor:${subprocessorId}`;
/** DPA: a new subprocessor is announced at least this long before it may be used. */
export const SUBPROCESSOR_NOTICE_PERIOD = '30 days';

export interface SubprocessorInput {
  subprocessorId: string;
  announcedAtMs: number;
  effectiveAtMs: number;
}

export interface SubprocessorStatus {
  state: 'announcing' | 'notice_period' | 'active';
  effectiveAt: string;
  announcedTo: number;
  activatedAt: string | null;
  excludedAccounts: number;
}

export const subprocessorStatusQuery = defineQuery<SubprocessorStatus>('status');

const { announceSubprocessor, activateSubprocessor } = proxyActivities<NoticeActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function subprocessorWorkflow(input: SubprocessorInput): Promise<SubprocessorStatus> {
  const { subprocessorId } = input;
  // Never earlier than the notice period, whatever the requested date says.
  const activeAt = Math.max(input.effectiveAtMs, input.announcedAtMs + msToNumber(SUBPROCESSOR_NOTICE_PERIOD));
  const status: SubprocessorStatus = {
    state: 'announcing',
    effectiveAt: new Date(activeAt).toISOString(),
    announcedTo: 0,
    activatedAt: null,
    excludedAccounts: 0,
  };
  setHandler(subprocessorStatusQuery, () => status);

  status.announcedTo = (await announceSubprocessor({ subprocessorId, atMs: Date.now() })).accounts;
  status.state = 'notice_period';
  if (activeAt > Date.now()) await sleep(activeAt - Date.now());
  const activated = await activateSubprocessor({ subprocessorId, atMs: Date.now() });
  status.state = 'active';
  status.activatedAt = new Date(activated.atMs).toISOString();
  status.excludedAccounts = activated.excludedAccounts;
  return status;
}
