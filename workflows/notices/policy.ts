import { defineQuery, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { NoticeActivities } from '../../activities/notices';

/**
 * A new Privacy Policy or DPA version (`policy:<kind>:<version>`). A material change is emailed to
 * every account holder at once and shown as a banner (GET /v1/notices) until it takes effect, at
 * least 30 days later. The version in force switches at `effectiveAt` (GET /v1/policies reads the
 * dates); this process records the switch.
 */

export const policyWorkflowId = (kind: string, version: string) => `policy:${kind}:${version}`;
/** A material change is announced at least this long before it takes effect. */
export const MATERIAL_POLICY_NOTICE_PERIOD = '30 days';

export interface PolicyInput {
  kind: 'privacy' | 'dpa';
  version: string;
  material: boolean;
  publishedAtMs: number;
  effectiveAtMs: number;
}

export interface PolicyStatus {
  state: 'announcing' | 'notice_period' | 'in_force';
  effectiveAt: string;
  announcedTo: number;
  inForceAt: string | null;
}

export const policyStatusQuery = defineQuery<PolicyStatus>('status');

const { announcePolicy, recordPolicyInForce } = proxyActivities<NoticeActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function policyWorkflow(input: PolicyInput): Promise<PolicyStatus> {
  const { kind, version } = input;
  const inForceAt = input.material
    ? Math.max(input.effectiveAtMs, input.publishedAtMs + msToNumber(MATERIAL_POLICY_NOTICE_PERIOD))
    : input.effectiveAtMs;
  const status: PolicyStatus = { state: 'announcing', effectiveAt: new Date(inForceAt).toISOString(), announcedTo: 0, inForceAt: null };
  setHandler(policyStatusQuery, () => status);

  if (input.material) status.announcedTo = (await announcePolicy({ kind, version, atMs: Date.now() })).accounts;
  status.state = 'notice_period';
  if (inForceAt > Date.now()) await sleep(inForceAt - Date.now());
  await recordPolicyInForce({ kind, version, atMs: Date.now() });
  status.state = 'in_force';
  status.inForceAt = new Date(Date.now()).toISOString();
  return status;
}
