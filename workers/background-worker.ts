import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createAnalyticsActivities } from '../activities/analytics-activities';
import { createAuditAnchorActivities } from '../activities/audit-anchor-activities';
import { createBillingActivities } from '../activities/billing';
import { createUsageActivities } from '../activities/billing/usage-activities';
import { createDsrActivities } from '../activities/dsr';
import { createIdempotencyActivities } from '../activities/idempotency-activities';
import { createLostStartsActivities } from '../activities/lost-starts-activities';
import { createNoticeActivities } from '../activities/notices';
import { createRetentionActivities } from '../activities/retention';
import { createTerminationActivities } from '../activities/termination';
import { createWebhookDeliveryActivities } from '../activities/webhooks/webhook-delivery-activities';
import type { BillingProvider } from '../providers/billing/billing-provider';
import { createBillingProvider } from '../providers/billing/registry';
import { createEmailSender } from '../providers/email/registry';
import type { UsageReportSettings } from '../services/billing/usage-reporter';
import { TerminationKey } from '../services/termination/termination-key';
import type { WorkerOptions } from './create-import-worker';
import { shutdownBounds } from './shutdown-bounds';
import { BACKGROUND_TASK_QUEUE } from './task-queues';
import { usageReportSettingsFrom } from './usage-reporter-workflows';

/** The roles whose workflows share the background queue; a Worker on it runs the activities of all of them. */
export const BACKGROUND_ROLES = ['dsr', 'lifecycle', 'notices', 'maintenance', 'webhooks', 'billing', 'usage'] as const;
export type BackgroundRole = (typeof BACKGROUND_ROLES)[number];

export interface BackgroundWorkerOptions extends WorkerOptions {
  /** Lifecycle activities steer other workflows (cancel imports and campaigns), the sweep of lost starts starts them. */
  temporal: Client;
  /** Stripe (default: from the config). Billing activities fail, retried, while it is missing. */
  billing?: BillingProvider | null;
  /** The Billing Meter usage is reported to (default STRIPE_METER_ID); without it and Stripe, no usage activities. */
  meterId?: string;
  usageSettings?: Partial<UsageReportSettings>;
  /** Rows per deletion batch (tests lower it to see many batches). */
  deletionBatchRows?: number;
}

type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Every background role's activities in one registry. Usage reporting joins only where Stripe and its
 * meter are configured; its rows wait until then, nothing is lost.
 */
export function createBackgroundActivities(
  options: Pick<BackgroundWorkerOptions, 'deps' | 'temporal' | 'billing' | 'meterId' | 'usageSettings' | 'deletionBatchRows'>,
): Activities {
  const { deps, temporal } = options;
  const email = createEmailSender(deps.config);
  const billing = options.billing === undefined ? createBillingProvider(deps.config) : options.billing;
  const meterId = options.meterId ?? deps.config.STRIPE_METER_ID;
  const byRole: Activities[] = [
    createDsrActivities(deps),
    createTerminationActivities({
      deps,
      temporal,
      email,
      terminationKey: new TerminationKey(deps.pgPool, deps.keys.master),
      billing,
      batchRows: options.deletionBatchRows,
    }),
    createNoticeActivities(deps),
    createIdempotencyActivities(deps),
    createAuditAnchorActivities(deps),
    createRetentionActivities(deps),
    createLostStartsActivities({ ...deps, temporal }),
    createAnalyticsActivities(deps),
    createWebhookDeliveryActivities(deps),
    createBillingActivities({ deps, billing, email }),
  ];
  if (billing && meterId) {
    byRole.push(
      createUsageActivities({
        pgPool: deps.pgPool,
        orm: deps.orm,
        keyring: deps.keyring,
        email,
        meter: billing,
        logger: deps.logger,
        settings: usageReportSettingsFrom(deps.config, meterId, options.usageSettings),
      }),
    );
  }
  return mergeActivities(byRole);
}

/** One registry from several; two roles naming one activity would run whichever came last, so that is refused. */
export function mergeActivities(registries: Activities[]): Activities {
  const merged: Activities = {};
  for (const registry of registries) {
    for (const [name, fn] of Object.entries(registry)) {
      if (name in merged) throw new Error(`two background roles register an activity named ${name}`);
      merged[name] = fn;
    }
  }
  return merged;
}

/**
 * Slots for the roles' activities together: what their own Workers had (dsr 4, lifecycle 4, notices 4,
 * maintenance 1, webhooks 2, billing 8, usage 8), so no role waits on a slot it had before.
 */
export const BACKGROUND_ACTIVITY_SLOTS = 31;

/** The Worker of the background queue (or, while workflows still run there, of a retired one). */
export function createBackgroundWorker(
  options: BackgroundWorkerOptions,
  taskQueue: string = BACKGROUND_TASK_QUEUE,
  activities: Activities = createBackgroundActivities(options),
): Promise<Worker> {
  const { connection, namespace, deps, workflowBundle } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...shutdownBounds(deps.config),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: BACKGROUND_ACTIVITY_SLOTS,
  });
}
