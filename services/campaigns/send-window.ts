import { DateTime } from 'luxon';
import { STATE_RULES, type StateRule } from './data/state-rules';
import { toMinute } from './quiet-hours';

/** Minutes after local midnight: [startMinute, endMinute). Empty when start >= end. */
export interface QuietWindow {
  startMinute: number;
  endMinute: number;
}

/** The window a recipient may be messaged in, on weekdays and Saturdays, and on Sundays (null: closed). */
export interface SendWindow {
  daily: QuietWindow;
  sunday: QuietWindow | null;
}

const RULES = new Map(STATE_RULES.map((r) => [r.region, r]));
export const stateRule = (region: string | null): StateRule | undefined => (region ? RULES.get(region) : undefined);

const intersect = (a: QuietWindow, b: { start: string; end: string }): QuietWindow => ({
  startMinute: Math.max(a.startMinute, toMinute(b.start)),
  endMinute: Math.min(a.endMinute, toMinute(b.end)),
});

/** Stricter wins: the campaign's window (already inside the 08:00–21:00 default) narrowed by the state's rule. */
export function sendWindowFor(campaign: QuietWindow, rule: StateRule | undefined): SendWindow {
  if (!rule) return { daily: campaign, sunday: campaign };
  const daily = intersect(campaign, rule.window);
  const sunday = rule.sunday === undefined ? daily : rule.sunday === null ? null : intersect(campaign, rule.sunday);
  return { daily, sunday };
}

const windowOn = (local: DateTime, window: SendWindow): QuietWindow | null => (local.weekday === 7 ? window.sunday : window.daily);

function insideIn(zone: string, at: Date, window: SendWindow): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const today = windowOn(local, window);
  const minute = local.hour * 60 + local.minute;
  return today !== null && minute >= today.startMinute && minute < today.endMinute;
}

export const insideWindow = (zones: string[], at: Date, window: SendWindow): boolean => zones.every((zone) => insideIn(zone, at, window));

/**
 * The first instant at or after `at` when the window is open in every zone, or null when the zones
 * share no open window within a week (a narrow window across Eastern and Hawaii time). A shared
 * window opens when its last zone opens, so each zone's daily openings are the only candidates;
 * luxon sets the local wall time, so DST days open at the right instant.
 */
export function nextOpening(zones: string[], at: Date, window: SendWindow): Date | null {
  if (insideWindow(zones, at, window)) return at;
  const candidates = zones
    .flatMap((zone) =>
      [0, 1, 2, 3, 4, 5, 6, 7].flatMap((days) => {
        const day = DateTime.fromJSDate(at, { zone }).startOf('day').plus({ days });
        const open = windowOn(day, window);
        if (!open || open.startMinute >= open.endMinute) return [];
        return [day.set({ hour: Math.floor(open.startMinute / 60), minute: open.startMinute % 60 }).toJSDate()];
      }),
    )
    .filter((d) => d.getTime() > at.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  return candidates.find((d) => insideWindow(zones, d, window)) ?? null;
}

/**
 * When a window open at `at` in every zone closes: the earliest end of that day's window across the
 * zones (the shared window ends with its first zone). luxon sets the local wall time, so DST is right.
 */
export function windowClosesAt(zones: string[], at: Date, window: SendWindow): Date {
  const ends = zones.map((zone) => {
    const local = DateTime.fromJSDate(at, { zone });
    const today = windowOn(local, window);
    if (!today) return at.getTime();
    return local
      .startOf('day')
      .set({ hour: Math.floor(today.endMinute / 60), minute: today.endMinute % 60 })
      .toMillis();
  });
  return new Date(Math.min(...ends));
}

/**
 * When a recipient under a per-recipient cap may get its next message: null while it is under the
 * cap at `now`, else when enough of its counted messages (`sentAt`, ascending) have aged out of the
 * trailing period to leave room for one more.
 */
export function capFreeAt(sentAt: Date[], cap: { messages: number; hours: number }, now: Date): Date | null {
  const periodMs = cap.hours * 3600_000;
  const counted = sentAt.filter((t) => t.getTime() > now.getTime() - periodMs);
  if (counted.length < cap.messages) return null;
  return new Date(counted[counted.length - cap.messages]!.getTime() + periodMs);
}
