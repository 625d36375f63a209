import type { Pool } from 'pg';
import type { ProductAnalytics } from './product-analytics';

/**
 * The `messages_sent_daily` product event: per account, how many messages accepted on `day` (UTC)
 * went out (sent_at set), counted in one indexed statement (messages_created_idx). A count only, for
 * the account's owner, consent read at capture (ProductAnalytics.captureForAccount); resolves once
 * every capture was sent or dropped. How many accounts had a count.
 */
export async function captureMessagesSentDaily(deps: { pgPool: Pool; analytics: ProductAnalytics }, day: string): Promise<number> {
  if (!deps.analytics.enabled) return 0;
  const { rows } = await deps.pgPool.query<{ account_id: string; n: number }>(
    `select account_id, count(*)::int as n from messages
      where created_at >= $1::date and created_at < $1::date + 1 and sent_at is not null
      group by account_id`,
    [day],
  );
  for (const r of rows) deps.analytics.captureForAccount(r.account_id, 'messages_sent_daily', { day, count: r.n });
  await deps.analytics.idle();
  return rows.length;
}
