/** The one place task-queue names are written. */
export const TASK_QUEUES = {
  imports: 'massivesms-imports',
} as const;
