import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';

/**
 * The partitions of messages, message_attempts and usage_events (by month) and of message_bodies
 * (by day: the daily run's 90-day cutoff passes a day at a time, so a month of bodies would be
 * emptied row by row before it could be dropped) (migration …20261207000000): created ahead, and
 * dropped whole by the retention run once every message of a period is past its cutoff. Both go through owner functions
 * that check what they are asked, since the app role owns no table.
 */

/** Bodies are kept by the day (their 90 days end daily), messages by the month. */
const PERIODS = {
  bodies: { table: 'message_bodies', suffix: /_p(\d{4})(\d{2})(\d{2})$/, length: { days: 1 } },
  metadata: { table: 'messages', suffix: /_p(\d{4})(\d{2})$/, length: { months: 1 } },
} as const;

/** The starts of the periods (days of bodies, months of messages) that have a partition, oldest first. */
export async function partitionPeriods(em: EntityManager, what: keyof typeof PERIODS): Promise<Date[]> {
  const rows = await em.execute<{ name: string }[]>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ?::regclass order by 1`,
    [PERIODS[what].table],
  );
  return rows.flatMap(({ name }) => {
    const m = PERIODS[what].suffix.exec(name);
    return m ? [new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3] ?? 1)))] : [];
  });
}

/**
 * Drops each day of bodies ('bodies') or month of whole messages ('metadata') that ended at or before
 * `cutoff` and holds no message still to be sent nor one created after the cutoff (those are left to
 * the row-by-row purge). Returns the rows dropped.
 */
export async function dropExpiredMessagePartitions(
  em: EntityManager,
  what: keyof typeof PERIODS,
  cutoff: Date,
  onDrop?: (droppedSoFar: number) => void,
): Promise<number> {
  let dropped = 0;
  for (const start of await partitionPeriods(em, what)) {
    if (DateTime.fromJSDate(start, { zone: 'utc' }).plus(PERIODS[what].length).toJSDate() > cutoff) break;
    const [row] = await em.execute<{ n: string | null }[]>('select drop_message_partition(?, ?, ?) as n', [what, start, cutoff]);
    dropped += Number(row!.n ?? 0);
    onDrop?.(dropped);
  }
  return dropped;
}
