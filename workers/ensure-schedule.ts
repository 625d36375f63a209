import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

/**
 * Creates a Schedule, or brings an existing one up to this definition (spec, action, policies):
 * safe on every worker start, and a drifted Schedule is repaired. Overlapping runs are skipped.
 */
export async function ensureSchedule(client: Client, definition: Pick<ScheduleOptions, 'scheduleId' | 'spec' | 'action'>): Promise<void> {
  const { scheduleId, spec, action } = definition;
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  }
}
