interface Waiting<T, R> {
  item: T;
  weight: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface CoalescerOptions<T> {
  /** Runs in flight at once; items arriving meanwhile wait and go together in the next run. */
  concurrency: number;
  /** Upper bound of one run, in weight units (rows, say): a run never takes more, except one item heavier than that alone. */
  maxWeight: number;
  weigh?: (item: T) => number;
}

/**
 * Runs concurrent callers' work together. Every run costs round trips to the database whatever it
 * carries, and on this kind of machine a round trip costs more CPU than the row it writes; so items
 * submitted while runs are in flight wait for one to finish and then go in one run. Alone, an item
 * waits only for the current I/O poll to end (`setImmediate`), which gathers requests that arrived
 * together. `run` answers the items in order; if it throws, every item of that run gets the error.
 */
export class Coalescer<T, R> {
  private queue: Waiting<T, R>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly options: CoalescerOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, weight: this.options.weigh?.(item) ?? 1, resolve, reject });
      if (!this.scheduled && this.running < this.options.concurrency) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startRuns();
        });
      }
    });
  }

  private startRuns(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const batch = this.take();
      this.running++;
      void this.execute(batch).finally(() => {
        this.running--;
        this.startRuns();
      });
    }
  }

  private take(): Waiting<T, R>[] {
    let weight = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || weight + this.queue[count]!.weight <= this.options.maxWeight)) {
      weight += this.queue[count]!.weight;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async execute(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
