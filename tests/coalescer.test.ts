import { describe, expect, it } from 'vitest';
import { Coalescer } from '../lib/coalescer';

/** A run that records what it was given and finishes only when the test says so. */
function gatedRuns() {
  const runs: { items: number[]; finish: () => void; fail: (e: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      runs.push({ items, finish: () => resolve(items.map((i) => `r${i}`)), fail: reject });
    });
  return { runs, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('items arriving while the runs are busy wait and go together in the next run, each answered in order', async () => {
    const { runs, run } = gatedRuns();
    const c = new Coalescer(run, { concurrency: 1, maxWeight: 100 });
    const first = c.submit(1);
    await tick();
    expect(runs.map((r) => r.items)).toEqual([[1]]);
    const later = [2, 3, 4].map((i) => c.submit(i));
    await tick();
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    expect(await first).toBe('r1');
    await tick();
    expect(runs.map((r) => r.items)).toEqual([[1], [2, 3, 4]]);
    runs[1]!.finish();
    expect(await Promise.all(later)).toEqual(['r2', 'r3', 'r4']);
  });

  it('never runs more than `concurrency` at once', async () => {
    const { runs, run } = gatedRuns();
    const c = new Coalescer(run, { concurrency: 2, maxWeight: 1 });
    const all = [1, 2, 3, 4].map((i) => c.submit(i));
    await tick();
    expect(runs.map((r) => r.items)).toEqual([[1], [2]]);
    runs[0]!.finish();
    await all[0];
    await tick();
    expect(runs.map((r) => r.items)).toEqual([[1], [2], [3]]);
    runs[1]!.finish();
    runs[2]!.finish();
    await Promise.all(all.slice(1, 3));
    await tick();
    runs[3]!.finish();
    expect(await Promise.all(all)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('a run carries at most maxWeight, but an item heavier than that alone still goes', async () => {
    const { runs, run } = gatedRuns();
    const c = new Coalescer(run, { concurrency: 1, maxWeight: 10, weigh: (n: number) => n });
    const all = [12, 4, 5, 2, 3].map((i) => c.submit(i));
    await tick();
    for (let i = 0; i < 3; i++) {
      runs[i]!.finish();
      await tick();
    }
    expect(runs.map((r) => r.items)).toEqual([[12], [4, 5], [2, 3]]);
    expect(await Promise.all(all)).toEqual(['r12', 'r4', 'r5', 'r2', 'r3']);
  });

  it("a failed run rejects every item of that run and none of the next run's", async () => {
    const { runs, run } = gatedRuns();
    const c = new Coalescer(run, { concurrency: 1, maxWeight: 100 });
    const a = c.submit(1);
    await tick();
    const [b, d] = [c.submit(2), c.submit(3)];
    const e = c.submit(4);
    runs[0]!.finish();
    await a;
    await tick();
    runs[1]!.fail(new Error('database went away'));
    await expect(b).rejects.toThrow('database went away');
    await expect(d).rejects.toThrow('database went away');
    await expect(e).rejects.toThrow('database went away');
    const f = c.submit(5);
    await tick();
    runs[2]!.finish();
    expect(await f).toBe('r5');
  });
});
