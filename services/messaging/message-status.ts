import type { MessageStatus } from '../../providers/sms/carrier';

/**
 * Status only moves forward: queued → sending → sent → delivered | undelivered | failed. A late or
 * out-of-order receipt (sent after delivered) never moves a message back; terminal statuses are final.
 */
const RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  suppressed: 3,
  received: 3,
};

export const TERMINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'suppressed', 'received'];

export function isTerminal(status: MessageStatus): boolean {
  return RANK[status] === 3;
}

export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  return RANK[to] > RANK[from];
}

/** The same rank in SQL, for `update … where <rank(status)> < <rank(new)>` guards in the stores. */
export function statusRankSql(column: string): string {
  const cases = Object.entries(RANK)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(' ');
  return `(case ${column} ${cases} end)`;
}

export function statusRank(status: MessageStatus): number {
  return RANK[status];
}
