import { VERIFIED_MEMBER_SQL } from '../holders/memberships';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EmailSender } from '../../providers/email/email-sender';
import type { DataKeyring } from '../keyring';
import { publishCustomerEvent } from '../webhooks/customer-events';
import { formatMicros, PERIOD_OF } from './prices';

export const SPEND_THRESHOLDS = [50, 80, 100] as const;

export interface SpendAlertDeps {
  em: EntityManager;
  pgPool: Pool;
  keyring: DataKeyring;
  email: EmailSender | null;
  logger: Logger;
}

interface NewAlert {
  account_id: string;
  period_start: Date;
  threshold: number;
  cap_micros: string;
  currency: string;
}

/**
 * Alerts of the month's spend at 50, 80 and 100 % of the cap, each once per account, month and
 * threshold: the alert row (primary key) and the customer webhook `billing.threshold_reached` are
 * written in one transaction; the email goes after it committed, with an idempotency key from the
 * same key, and is marked sent, so a crash between the two resends it at most as the same email.
 */
export async function raiseSpendAlerts(deps: SpendAlertDeps, shard: number, shards: number, now: Date): Promise<number> {
  const raised = await deps.em.transactional(async (tx) => {
    const rows = await tx.execute<NewAlert[]>(
      `insert into billing_threshold_alerts (account_id, period_start, threshold, cap_micros, created_at)
       select s.account_id, p.period_start, t.threshold, s.monthly_cap_micros, ?
         from billing_account_settings s
         join billing_period_usage p on p.account_id = s.account_id and p.period_start = ${PERIOD_OF('?::timestamptz')}
         cross join (values (50), (80), (100)) as t(threshold)
        where s.monthly_cap_micros is not null and p.cost_micros * 100 >= s.monthly_cap_micros * t.threshold
          and abs(hashtext(s.account_id::text)::bigint) % ? = ?
       on conflict do nothing
       returning account_id, period_start, threshold, cap_micros,
                 (select currency from billing_account_settings x where x.account_id = billing_threshold_alerts.account_id) as currency`,
      [now, now, shards, shard],
    );
    for (const r of rows) {
      await publishCustomerEvent(
        tx,
        r.account_id,
        'billing.threshold_reached',
        {
          threshold: r.threshold,
          periodStart: new Date(r.period_start).toISOString().slice(0, 10),
          monthlyCap: formatMicros(BigInt(r.cap_micros)),
          currency: r.currency,
        },
        { keyring: deps.keyring },
        now,
      );
    }
    return rows.length;
  });
  await emailPendingAlerts(deps, shard, shards, now);
  return raised;
}

async function emailPendingAlerts(deps: SpendAlertDeps, shard: number, shards: number, now: Date): Promise<void> {
  if (deps.email === null) return;
  const { rows } = await deps.pgPool.query<{
    account_id: string;
    period_start: Date;
    threshold: number;
    cap_micros: string;
    email: string;
    currency: string;
  }>(
    `select a.account_id, a.period_start, a.threshold, a.cap_micros, u.email,
            coalesce((select currency from billing_account_settings s where s.account_id = a.account_id), 'usd') as currency
       from billing_threshold_alerts a
       join lateral (select u.email from account_memberships m join users u on u.id = m.user_id
                      where m.account_id = a.account_id and m.role in ('owner', 'admin', 'billing') and ${VERIFIED_MEMBER_SQL}
                      order by (m.role = 'owner') desc, m.created_at, u.id limit 1) u on true
      where a.emailed_at is null and abs(hashtext(a.account_id::text)::bigint) % $2 = $1
      limit 100`,
    [shard, shards],
  );
  for (const r of rows) {
    const period = new Date(r.period_start).toISOString().slice(0, 7);
    const cap = `${formatMicros(BigInt(r.cap_micros))} ${r.currency.toUpperCase()}`;
    const subject =
      r.threshold === 100
        ? `MassiveSMS: your monthly spend cap (${cap}) is reached — new sends are paused`
        : `MassiveSMS: ${r.threshold} % of your monthly spend cap (${cap}) used`;
    const text =
      r.threshold === 100
        ? `Your account reached its spend cap for ${period}. New messages are refused, queued ones wait (none are dropped) and running campaigns pause until you raise the cap (PATCH /v1/billing) or the month ends; then resume the campaigns (POST /v1/campaigns/{id}/resume).`
        : `Your account has used ${r.threshold} % of its spend cap for ${period}. At 100 % new messages are refused until the cap is raised or the month ends.`;
    try {
      await deps.email.send({
        to: [r.email],
        subject,
        text,
        html: `<p>${text}</p>`,
        idempotencyKey: `spend-alert/${r.account_id}/${period}/${r.threshold}`,
        tags: [{ name: 'kind', value: 'spend_alert' }],
      });
      await deps.pgPool.query(
        `update billing_threshold_alerts set emailed_at = $4 where account_id = $1 and period_start = $2 and threshold = $3`,
        [r.account_id, r.period_start, r.threshold, now],
      );
    } catch (err) {
      // Retried on the next pass; the idempotency key makes a repeat the same email.
      deps.logger.warn(
        { accountId: r.account_id, threshold: r.threshold, code: (err as { code?: string }).code },
        'spend alert email not sent',
      );
    }
  }
}
