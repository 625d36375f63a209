/** The one place task-queue names are written. */
export const TASK_QUEUES = {
  campaigns: 'massivesms-campaigns',
  dsr: 'massivesms-dsr',
  imports: 'massivesms-imports',
  maintenance: 'massivesms-maintenance',
  messaging: 'massivesms-messaging',
  notices: 'massivesms-notices',
  webhooks: 'massivesms-webhooks',
  /** Data-lifecycle processes: account termination (and data subject requests, retention). */
  lifecycle: 'massivesms-lifecycle',
} as const;
