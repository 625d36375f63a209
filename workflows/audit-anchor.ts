import { proxyActivities } from '@temporalio/workflow';
import type { AuditAnchorActivities } from '../activities/audit-anchor-activities';
import type { AuditHead } from '../services/audit-log';

const { readAuditHead } = proxyActivities<AuditAnchorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

/**
 * Run hourly by a Schedule: records the audit chain's head (count, head MAC, key id; no PII) in this
 * run's history, outside the database, for `npm run audit:verify` to compare against.
 */
export async function auditAnchorWorkflow(): Promise<AuditHead> {
  return readAuditHead();
}
