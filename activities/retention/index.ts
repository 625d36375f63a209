import { Context } from '@temporalio/activity';
import { appendAudit } from '../../services/audit-log';
import type { ServiceDeps } from '../../services/deps';
import { IdempotencyStore } from '../../services/idempotency/idempotency-store';
import { RETENTION, type PurgedClass, type RetentionReport } from '../../services/retention/retention-policy';
import { purgeRetentionClass } from '../../services/retention/retention-store';

export function createRetentionActivities(deps: Pick<ServiceDeps, 'orm' | 'keyring'>) {
  const idempotency = new IdempotencyStore(deps.keyring);
  return {
    /** One class as of the run's moment; heartbeats the running count, so a long purge shows progress. */
    async purgeRetentionClass(cls: PurgedClass, asOfMs: number): Promise<number> {
      return purgeRetentionClass(deps.orm.em.fork(), cls, new Date(asOfMs), { idempotency }, (n) => Context.current().heartbeat(n));
    },

    /** The run's audit entry: what was purged per class, and the policy of each declared-only class. */
    async recordRetentionRun(report: RetentionReport): Promise<void> {
      await deps.orm.em.fork().transactional((em) =>
        appendAudit(em, {
          actorType: 'system',
          actorId: 'retention',
          action: 'retention.purged',
          targetType: 'retention_run',
          targetId: report.asOf,
          details: {
            purged: report.purged,
            notBuilt: { billingRecords: RETENTION.billingRecords.note, exportTokens: RETENTION.exportTokens.note },
          },
        }),
      );
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
