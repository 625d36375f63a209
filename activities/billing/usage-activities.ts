import type { MikroORM } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import type { EmailSender } from '../../providers/email/email-sender';
import { raiseSpendAlerts } from '../../services/billing/spend-alerts';
import { reportDueUsage, type UsageReportDeps, type UsageReportInput, type UsageReportResult } from '../../services/billing/usage-reporter';
import type { DataKeyring } from '../../services/keyring';

export interface UsageActivityDeps extends Omit<UsageReportDeps, 'onProgress'> {
  orm: MikroORM;
  keyring: DataKeyring;
  email: EmailSender | null;
}

/** The usage reporter's activities: a pass over a shard's due rows, and its accounts' spend alerts. */
export function createUsageActivities(deps: UsageActivityDeps) {
  return {
    async reportUsage(input: UsageReportInput): Promise<UsageReportResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        return await reportDueUsage({ ...deps, onProgress: () => ctx.heartbeat() }, input);
      } finally {
        clearInterval(beat);
      }
    },
    /** Alerts at 50/80/100 % of the cap, once per threshold and month; returns how many were raised. */
    async alertSpendThresholds(input: UsageReportInput): Promise<number> {
      return raiseSpendAlerts(
        { em: deps.orm.em.fork(), pgPool: deps.pgPool, keyring: deps.keyring, email: deps.email, logger: deps.logger },
        input.shard,
        deps.settings.shards,
        new Date(input.nowMs),
      );
    },
  };
}

export type UsageActivities = ReturnType<typeof createUsageActivities>;
