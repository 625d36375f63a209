/**
 * Quiet hours: the local-time window in which a recipient may be messaged. The default is the
 * widest any campaign may use (08:00–21:00, the TCPA's calling window); a campaign may only narrow it.
 */
export const DEFAULT_QUIET_WINDOW = { startMinute: 8 * 60, endMinute: 21 * 60 } as const;

export const toMinute = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const toHhmm = (minute: number): string =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
