/**
 * The one place task-queue names are written. The send path, campaigns and imports have a queue
 * each; the low-traffic roles share the background queue, so a process serving them all runs one
 * Temporal Worker for them (each Worker holds its own workflow thread, ~30 MB) instead of seven.
 */
export const BACKGROUND_TASK_QUEUE = 'massivesms-background';

export const TASK_QUEUES = {
  campaigns: 'massivesms-campaigns',
  imports: 'massivesms-imports',
  messaging: 'massivesms-messaging',
  /** Data subject requests. */
  dsr: BACKGROUND_TASK_QUEUE,
  /** Account termination. */
  lifecycle: BACKGROUND_TASK_QUEUE,
  /** Breach, subprocessor and policy notices. */
  notices: BACKGROUND_TASK_QUEUE,
  /** What the Schedules start: purges, retention, audit anchors, analytics, the sweep of lost starts. */
  maintenance: BACKGROUND_TASK_QUEUE,
  /** Customer-webhook deliveries. */
  webhooks: BACKGROUND_TASK_QUEUE,
  /** Usage reporting to Stripe's Billing Meter. */
  usage: BACKGROUND_TASK_QUEUE,
  /** Billing: the Stripe customer after sign-up, dunning. */
  billing: BACKGROUND_TASK_QUEUE,
} as const;

/**
 * The queues the background roles had before they shared one. Workflows started there before the
 * move finish there, so a process serving the background roles polls each of these while visibility
 * shows a workflow still running on it (workers/retired-queue-pollers.ts).
 */
export const RETIRED_TASK_QUEUES = [
  'massivesms-dsr',
  'massivesms-lifecycle',
  'massivesms-notices',
  'massivesms-maintenance',
  'massivesms-webhooks',
  'massivesms-usage',
  'massivesms-billing',
] as const;
