import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';

/**
 * Making the partitions of messages ahead of time (migration …20261207000000, owner function
 * `ensure_message_partitions`): at every deploy (prepareDatabase) and in each daily retention run.
 */

/** Months created ahead of the current one: three daily runs can be missed a quarter long before a month lands in the default partition. */
export const PARTITION_MONTHS_AHEAD = 3;

/** Creates the months from `now`'s through PARTITION_MONTHS_AHEAD later; returns the partitions left out (their range already has rows in the default partition). */
export async function ensureMessagePartitions(em: EntityManager, now: Date): Promise<string[]> {
  const through = DateTime.fromJSDate(now, { zone: 'utc' }).plus({ months: PARTITION_MONTHS_AHEAD }).toJSDate();
  const [row] = await em.execute<{ skipped: string[] }[]>('select ensure_message_partitions(?, ?) as skipped', [now, through]);
  return row!.skipped;
}
