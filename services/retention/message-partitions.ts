import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';

/**
 * The monthly partitions of messages, message_bodies, message_attempts and usage_events
 * (migration …20261207000000): created ahead of the month they hold, and dropped whole by the
 * retention run once every message of a month is past its cutoff. Both go through owner functions
 * that check what they are asked, since the app role owns no table.
 */

/** Months created ahead of the current one: three daily runs can be missed a quarter long before a month lands in the default partition. */
export const PARTITION_MONTHS_AHEAD = 3;

/** Creates the months from `now`'s through PARTITION_MONTHS_AHEAD later; returns the partitions left out (their range already has rows in the default partition). */
export async function ensureMessagePartitions(em: EntityManager, now: Date): Promise<string[]> {
  const through = DateTime.fromJSDate(now, { zone: 'utc' }).plus({ months: PARTITION_MONTHS_AHEAD }).toJSDate();
  const [row] = await em.execute<{ skipped: string[] }[]>('select ensure_message_partitions(?, ?) as skipped', [now, through]);
  return row!.skipped;
}

const MONTH_SUFFIX = /_p(\d{4})(\d{2})$/;

/** The months that have a partition of `table`, oldest first. */
export async function partitionMonths(em: EntityManager, table: 'messages' | 'message_bodies'): Promise<Date[]> {
  const rows = await em.execute<{ name: string }[]>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ?::regclass order by 1`,
    [table],
  );
  return rows.flatMap(({ name }) => {
    const m = MONTH_SUFFIX.exec(name);
    return m ? [new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))] : [];
  });
}

/**
 * Drops each month of bodies ('bodies') or of whole messages ('metadata') that ended at or before
 * `cutoff` and holds no message still to be sent nor one created after the cutoff (those months are
 * left to the row-by-row purge). Returns the rows dropped.
 */
export async function dropExpiredMessagePartitions(
  em: EntityManager,
  what: 'bodies' | 'metadata',
  cutoff: Date,
  onDrop?: (droppedSoFar: number) => void,
): Promise<number> {
  let dropped = 0;
  for (const month of await partitionMonths(em, what === 'bodies' ? 'message_bodies' : 'messages')) {
    if (DateTime.fromJSDate(month, { zone: 'utc' }).plus({ months: 1 }).toJSDate() > cutoff) break;
    const [row] = await em.execute<{ n: string | null }[]>('select drop_message_partition(?, ?, ?) as n', [what, month, cutoff]);
    dropped += Number(row!.n ?? 0);
    onDrop?.(dropped);
  }
  return dropped;
}
