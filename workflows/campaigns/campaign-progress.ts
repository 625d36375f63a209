/** What a campaign's workflow reports (its `progress` query and every update's answer): counts and states only. */
export interface CampaignProgress {
  state:
    | 'not_started'
    | 'not_launched'
    | 'scheduled'
    | 'snapshotting'
    | 'sending'
    | 'waiting'
    | 'paused'
    | 'finishing'
    | 'completed'
    | 'cancelled';
  /** Recipients in the snapshot (one per number). */
  targeted: number;
  /** Memberships that named a contact already targeted through another list. */
  duplicates: number;
  /** Messages written into the outbox. */
  queued: number;
  /** Recipients that get no message, by reason (opted_out, restricted, contact_deleted, …). */
  skipped: Record<string, number>;
  /** Recipients outside their quiet hours, waiting for their window (as of the last short page). */
  waitingQuietHours: number;
  /** Recipients over their state's cap on marketing messages, waiting for room (as of the last short page). */
  waitingMessageCap: number;
  /** Why the campaign paused itself (`sender_unavailable`: its sender number was removed; `spend_cap`: its account reached its monthly spend cap); null when paused by a caller or running. */
  pausedReason: string | null;
  /** Epoch ms when the next waiting recipient's window opens. */
  nextOpeningAt: number | null;
  remaining: number;
  ratePerSecond: number;
  pages: number;
}

export const NEW_CAMPAIGN_PROGRESS: CampaignProgress = {
  state: 'not_started',
  targeted: 0,
  duplicates: 0,
  queued: 0,
  skipped: {},
  waitingQuietHours: 0,
  waitingMessageCap: 0,
  pausedReason: null,
  nextOpeningAt: null,
  remaining: 0,
  ratePerSecond: 0,
  pages: 0,
};

export function addSkips(total: Record<string, number>, more: Partial<Record<string, number>>): Record<string, number> {
  const sum = { ...total };
  for (const [reason, n] of Object.entries(more)) if (n) sum[reason] = (sum[reason] ?? 0) + n;
  return sum;
}

export const remainingOf = (p: CampaignProgress): number =>
  Math.max(0, p.targeted - p.queued - Object.values(p.skipped).reduce((a, b) => a + b, 0));
