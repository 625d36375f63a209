import { proxyActivities } from '@temporalio/workflow';
import type { AnalyticsActivities } from '../activities/analytics-activities';

const { captureMessagesSentDaily } = proxyActivities<AnalyticsActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3 },
});

/** The UTC day before `now`, as YYYY-MM-DD: the day a daily run reports. */
export function previousUtcDay(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
}

export const MESSAGES_SENT_DAILY_SCHEDULE_ID = 'analytics-messages-sent-daily';

/** Run daily by a Schedule: yesterday's (UTC, by the workflow's clock) messages_sent_daily events. */
export async function messagesSentDailyWorkflow(): Promise<{ day: string; accounts: number }> {
  const day = previousUtcDay(new Date());
  return { day, accounts: await captureMessagesSentDaily(day) };
}
