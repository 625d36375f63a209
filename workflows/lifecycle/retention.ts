import { patched, proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../../activities/retention';
import { PURGED_CLASSES, PURGED_CLASSES_V1, PURGED_CLASSES_V2, type RetentionReport } from '../../services/retention/retention-policy';

const { purgeRetentionClass, recordRetentionRun } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 10 },
});

export const RETENTION_SCHEDULE_ID = 'retention-daily';
/** The run purges the classes added so every table has one (a run started before replays the six it had). */
export const RETENTION_EVERY_TABLE_PATCH = 'retention-every-table';
/** The run purges billing records 7 years old too (a run started before reports them as null). */
export const RETENTION_BILLING_RECORDS_PATCH = 'retention-billing-records';

/**
 * Run daily by the `retention-daily` Schedule: every class of SPEC §2 purged as of the run's start
 * (one moment for all classes, so a retried run draws the same lines), then the counts audited and
 * returned. Counts only: nothing purged is named.
 */
export async function retentionWorkflow(): Promise<RetentionReport> {
  const asOfMs = Date.now();
  const purged = {} as RetentionReport['purged'];
  for (const cls of PURGED_CLASSES) purged[cls] = null;
  const classes = patched(RETENTION_BILLING_RECORDS_PATCH)
    ? PURGED_CLASSES
    : patched(RETENTION_EVERY_TABLE_PATCH)
      ? PURGED_CLASSES_V2
      : PURGED_CLASSES_V1;
  for (const cls of classes) purged[cls] = await purgeRetentionClass(cls, asOfMs);
  purged.exportTokens = null;
  const report: RetentionReport = { asOf: new Date(asOfMs).toISOString(), purged };
  await recordRetentionRun(report);
  return report;
}
