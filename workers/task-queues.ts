/** The one place task-queue names are written. */
export const TASK_QUEUES = {
  imports: 'massivesms-imports',
  maintenance: 'massivesms-maintenance',
  webhooks: 'massivesms-webhooks',
} as const;
