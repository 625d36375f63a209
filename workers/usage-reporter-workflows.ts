import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { AppConfig } from '../config/env';
import { DEFAULT_USAGE_REPORT_SETTINGS, type UsageReportSettings } from '../services/billing/usage-reporter';
import { usageReporterWorkflow, usageReporterWorkflowId } from '../workflows/billing/usage-reporter';
import { ProcessKindKey } from '../workflows/search-attributes';
import { TASK_QUEUES } from './task-queues';

type UsageConfig = Pick<AppConfig, 'USAGE_REPORT_SHARDS' | 'USAGE_REPORT_RATE_PER_SECOND' | 'USAGE_REPORT_BATCH_SIZE'>;

export function usageReportSettingsFrom(
  config: UsageConfig,
  meterId: string,
  overrides: Partial<UsageReportSettings> = {},
): UsageReportSettings {
  return {
    ...DEFAULT_USAGE_REPORT_SETTINGS,
    shards: config.USAGE_REPORT_SHARDS,
    ratePerSecond: config.USAGE_REPORT_RATE_PER_SECOND,
    batchSize: config.USAGE_REPORT_BATCH_SIZE,
    meterId,
    ...overrides,
  };
}

/** Starts every reporter shard unless it runs already: safe on every worker start. */
export async function ensureUsageReporterWorkflows(
  client: Client,
  config: UsageConfig & Pick<AppConfig, 'USAGE_REPORT_IDLE_POLL_MS'>,
): Promise<void> {
  for (let shard = 0; shard < config.USAGE_REPORT_SHARDS; shard++) {
    await client.workflow.start(usageReporterWorkflow, {
      workflowId: usageReporterWorkflowId(shard),
      taskQueue: TASK_QUEUES.usage,
      args: [{ shard, idlePollMs: config.USAGE_REPORT_IDLE_POLL_MS }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [{ key: ProcessKindKey, value: 'usage-report' }],
    });
  }
}
