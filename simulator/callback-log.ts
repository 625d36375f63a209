import type { CallbackKind, CallbackRecord } from './types';

export interface CallbackLogFilter {
  m?: string;
  kind?: CallbackKind;
  messageId?: string;
  limit: number;
}

/** The last `capacity` callbacks sent (every attempt), indexed by our message id. */
export class CallbackLog {
  private log: (CallbackRecord | undefined)[] = [];
  private head = 0;
  private readonly byM = new Map<string, CallbackRecord[]>();
  private seq = 0;

  constructor(private readonly capacity: number) {}

  nextSeq(): number {
    return ++this.seq;
  }

  add(record: CallbackRecord): void {
    this.log.push(record);
    if (record.m !== null) {
      const list = this.byM.get(record.m);
      if (list) list.push(record);
      else this.byM.set(record.m, [record]);
    }
    if (this.log.length - this.head > this.capacity) this.evictOldest();
  }

  query(filter: CallbackLogFilter): CallbackRecord[] {
    const source: readonly (CallbackRecord | undefined)[] =
      filter.m !== undefined ? (this.byM.get(filter.m) ?? []) : this.log.slice(this.head);
    const out: CallbackRecord[] = [];
    for (const record of source) {
      if (record === undefined) continue;
      if (filter.kind !== undefined && record.kind !== filter.kind) continue;
      if (filter.messageId !== undefined && record.messageId !== filter.messageId) continue;
      out.push(record);
      if (out.length >= filter.limit) break;
    }
    return out;
  }

  clear(): void {
    this.log = [];
    this.head = 0;
    this.byM.clear();
  }

  private evictOldest(): void {
    const oldest = this.log[this.head];
    this.log[this.head] = undefined;
    this.head += 1;
    if (oldest?.m != null) {
      const list = this.byM.get(oldest.m);
      if (list && list[0] === oldest) list.shift();
      if (list?.length === 0) this.byM.delete(oldest.m);
    }
    if (this.head >= this.capacity) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
  }
}
