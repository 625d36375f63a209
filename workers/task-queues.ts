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
  /** Usage reporting to Stripe's Billing Meter. */
  usage: 'massivesms-usage',
  /** Billing: the Stripe customer after sign-up, dunning. */
  billing: 'massivesms-billing',
} as const;
