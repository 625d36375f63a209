import type { Pool } from 'pg';
import type { SimulatorControl } from '../../simulator/control-client';
import type { LedgerEntry } from '../../simulator/types';

export interface LedgerVerdict {
  messages: number;
  byStatus: Record<string, number>;
  /** Messages the simulator took more than once. */
  duplicates: number;
  /** Messages we say were sent (or delivered) that the simulator does not have exactly once under our carrier id. */
  lost: number;
  /** Messages we say were not sent (failed, suppressed) that the simulator nevertheless has. */
  phantom: number;
  /** Messages not in a terminal status yet. */
  unfinished: number;
}

export async function allEntries(control: SimulatorControl): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await control.ledger({ limit: 1000, offset });
    entries.push(...page.entries);
    if (page.entries.length < 1000) return entries;
  }
}

const SENT = new Set(['sent', 'delivered', 'undelivered']);
const NOT_SENT = new Set(['failed', 'suppressed']);

/**
 * The product's promise, checked against the carriers' own record: every message we call sent is at
 * the simulator exactly once, at the carrier and under the carrier id we stored; nothing we call not
 * sent is there; nothing is there twice.
 */
export async function checkAgainstLedger(pool: Pool, control: SimulatorControl, messageIds: string[]): Promise<LedgerVerdict> {
  const entries = await allEntries(control);
  const byMessage = new Map<string, LedgerEntry[]>();
  for (const e of entries) if (e.m) byMessage.set(e.m, [...(byMessage.get(e.m) ?? []), e]);
  const { rows } = await pool.query<{ id: string; status: string; carrier: string | null; carrier_message_id: string | null }>(
    'select id, status, carrier, carrier_message_id from messages where id = any($1::uuid[])',
    [messageIds],
  );
  const verdict: LedgerVerdict = { messages: rows.length, byStatus: {}, duplicates: 0, lost: 0, phantom: 0, unfinished: 0 };
  for (const m of rows) {
    verdict.byStatus[m.status] = (verdict.byStatus[m.status] ?? 0) + 1;
    const at = byMessage.get(m.id) ?? [];
    if (at.length > 1) verdict.duplicates += 1;
    if (SENT.has(m.status)) {
      if (at.length !== 1 || at[0]!.vendor !== m.carrier || at[0]!.id !== m.carrier_message_id) verdict.lost += 1;
    } else if (NOT_SENT.has(m.status)) {
      if (at.length > 0) verdict.phantom += 1;
    } else {
      verdict.unfinished += 1;
    }
  }
  return verdict;
}
