import { DateTime, IANAZone } from 'luxon';

/**
 * Where a recipient's quiet hours are reckoned. A contact's `timezone` attribute (IANA) wins. A +1
 * number without one may be in any of the zones below: it is messaged only while the window is open
 * in all of them (roughly 13:00–21:00 Eastern for the default window), never early in Hawaii.
 * Other countries need the attribute until a country table exists (the recipient is skipped with
 * `timezone_unknown`, counted in the campaign's progress).
 */
const NANP_ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
];

export interface QuietWindow {
  startMinute: number;
  endMinute: number;
}

export function recipientZones(e164: string, timezoneAttribute: unknown): string[] | null {
  if (typeof timezoneAttribute === 'string' && IANAZone.isValidZone(timezoneAttribute)) return [timezoneAttribute];
  if (e164.startsWith('+1')) return NANP_ZONES;
  return null;
}

function insideIn(zone: string, at: Date, window: QuietWindow): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const minute = local.hour * 60 + local.minute;
  return minute >= window.startMinute && minute < window.endMinute;
}

export const insideWindow = (zones: string[], at: Date, window: QuietWindow): boolean => zones.every((zone) => insideIn(zone, at, window));

/**
 * The first instant at or after `at` when the window is open in every zone, or null when the zones
 * never share an open window (a narrow window across Eastern and Hawaii time). The shared window
 * opens when its last zone opens, so each zone's next openings are the only candidates.
 */
export function nextOpening(zones: string[], at: Date, window: QuietWindow): Date | null {
  if (insideWindow(zones, at, window)) return at;
  const candidates = zones
    .flatMap((zone) =>
      [0, 1, 2].map((days) =>
        DateTime.fromJSDate(at, { zone })
          .startOf('day')
          .plus({ days })
          .set({ hour: Math.floor(window.startMinute / 60), minute: window.startMinute % 60 })
          .toJSDate(),
      ),
    )
    .filter((d) => d.getTime() > at.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  return candidates.find((d) => insideWindow(zones, d, window)) ?? null;
}
