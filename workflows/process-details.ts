import type { ImportProgress } from '../services/imports/import-summary';
import type { CampaignProgress } from './campaigns/campaign-progress';
import type { DispatchProgress } from './messaging/dispatch-progress';

/**
 * What the Temporal UI shows as a long process's current details (`setCurrentDetails`): ids and
 * counts only, never a number, a name or a message body.
 */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function campaignDetails(campaignId: string, p: CampaignProgress): string {
  const skipped = Object.values(p.skipped).reduce((a, b) => a + b, 0);
  const parts = [`${count(p.queued)} of ${count(p.targeted)} queued for sending`, `${count(skipped)} skipped`];
  if (p.waitingQuietHours > 0) parts.push(`${count(p.waitingQuietHours)} waiting for quiet hours`);
  if (p.waitingMessageCap > 0) parts.push(`${count(p.waitingMessageCap)} waiting for the message cap`);
  return `campaign ${campaignId} (${p.state}${p.pausedReason ? `: ${p.pausedReason}` : ''}): ${parts.join(', ')}`;
}

export function importDetails(importId: string, p: ImportProgress): string {
  return `import ${importId} (${p.status}): ${count(p.processedRows)} of ${count(p.totalRows)} rows processed`;
}

export function dispatchDetails(workflowId: string, p: DispatchProgress, parked: number): string {
  return (
    `${workflowId}: ${count(p.sent)} sent, ${count(p.failed)} failed, ${count(p.failedOver)} failed over, ` +
    `${count(parked)} ambiguous waiting for reconciliation (this run and the runs it continued)`
  );
}
