import type { Pool } from 'pg';
import { CURRENCY_OF, formatMicros, UNIT_PRICE_SQL } from './prices';

/** What one accepted message was billed: its segments at the price in effect when a carrier accepted it. */
export interface MessagePrice {
  amount: string;
  currency: string;
}

/**
 * The price of each of the account's messages that has a usage row (an outbound message a carrier
 * accepted); the others (queued, failed before acceptance, inbound) have none. One query a page.
 */
export async function messagePrices(pool: Pool, accountId: string, messageIds: string[]): Promise<Map<string, MessagePrice>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await pool.query<{ message_id: string; cost: string; currency: string }>(
    `select u.message_id, (u.segments * ${UNIT_PRICE_SQL('u.account_id', 'u.accepted_at')})::bigint as cost, ${CURRENCY_OF('u.account_id')} as currency
       from usage_events u where u.account_id = $1 and u.message_id = any($2::uuid[])`,
    [accountId, messageIds],
  );
  return new Map(rows.map((r) => [r.message_id, { amount: formatMicros(BigInt(r.cost)), currency: r.currency }]));
}
