import type { CarrierVendor, LedgerEntry, LedgerSummary, MessageStatus } from './types';

const DUPLICATES_LISTED = 100;

export interface LedgerFilter {
  m?: string;
  a?: string;
  to?: string;
  vendor?: CarrierVendor;
  limit: number;
  offset: number;
}

/**
 * Every message a carrier accepted, indexed so the control API stays cheap at 100k+ entries:
 * lookups go through maps and the summary is kept as counters, never by scanning.
 */
export class Ledger {
  private entries: LedgerEntry[] = [];
  private readonly byId = new Map<string, LedgerEntry>();
  private readonly byM = new Map<string, LedgerEntry[]>();
  private readonly byA = new Map<string, LedgerEntry[]>();
  private readonly byTo = new Map<string, LedgerEntry[]>();
  /** Message ids seen more than once, in the order they became duplicates. */
  private readonly duplicated = new Set<string>();
  private readonly vendorCounts: Record<CarrierVendor, number> = { telnyx: 0, twilio: 0 };
  private readonly statusCounts: Record<MessageStatus, number> = { queued: 0, sent: 0, delivered: 0, failed: 0 };
  private withoutM = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    this.vendorCounts[entry.vendor] += 1;
    this.statusCounts[entry.status] += 1;
    if (entry.m === null) this.withoutM += 1;
    else if (push(this.byM, entry.m, entry) > 1) this.duplicated.add(entry.m);
    if (entry.a !== null) push(this.byA, entry.a, entry);
    push(this.byTo, entry.to, entry);
  }

  get(id: string): LedgerEntry | undefined {
    return this.byId.get(id);
  }

  setStatus(entry: LedgerEntry, status: MessageStatus, errorCode: string | null = null): void {
    this.statusCounts[entry.status] -= 1;
    this.statusCounts[status] += 1;
    entry.status = status;
    entry.errorCode = errorCode;
    const now = this.now().toISOString();
    if (status === 'sent') entry.sentAt = now;
    if (status === 'delivered' || status === 'failed') entry.completedAt = now;
  }

  /** Entries to one destination, oldest first (the carriers' lookups build on it). */
  toNumber(to: string): readonly LedgerEntry[] {
    return this.byTo.get(to) ?? [];
  }

  query(filter: LedgerFilter): { entries: LedgerEntry[]; total: number } {
    let candidates: readonly LedgerEntry[] = this.entries;
    if (filter.m !== undefined) candidates = this.byM.get(filter.m) ?? [];
    if (filter.a !== undefined) candidates = pick(candidates, this.byA.get(filter.a) ?? []);
    if (filter.to !== undefined) candidates = pick(candidates, this.byTo.get(filter.to) ?? []);
    const matching =
      filter.m === undefined && filter.a === undefined && filter.to === undefined && filter.vendor === undefined
        ? candidates
        : candidates.filter(
            (e) =>
              (filter.m === undefined || e.m === filter.m) &&
              (filter.a === undefined || e.a === filter.a) &&
              (filter.to === undefined || e.to === filter.to) &&
              (filter.vendor === undefined || e.vendor === filter.vendor),
          );
    return { entries: matching.slice(filter.offset, filter.offset + filter.limit), total: matching.length };
  }

  summary(): LedgerSummary {
    const duplicates: { m: string; count: number }[] = [];
    for (const m of this.duplicated) {
      if (duplicates.length >= DUPLICATES_LISTED) break;
      duplicates.push({ m, count: this.byM.get(m)!.length });
    }
    return {
      total: this.entries.length,
      byVendor: { ...this.vendorCounts },
      byStatus: { ...this.statusCounts },
      distinctMessages: this.byM.size,
      withoutMessageId: this.withoutM,
      duplicates,
      duplicateCount: this.duplicated.size,
    };
  }

  clear(): void {
    this.entries = [];
    this.byId.clear();
    this.byM.clear();
    this.byA.clear();
    this.byTo.clear();
    this.duplicated.clear();
    this.vendorCounts.telnyx = 0;
    this.vendorCounts.twilio = 0;
    for (const key of Object.keys(this.statusCounts) as MessageStatus[]) this.statusCounts[key] = 0;
    this.withoutM = 0;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): number {
  const list = map.get(key);
  if (list) return list.push(value);
  map.set(key, [value]);
  return 1;
}

/** The smaller of two candidate lists (the filter pass checks the other conditions). */
function pick<T>(a: readonly T[], b: readonly T[]): readonly T[] {
  return b.length < a.length ? b : a;
}
