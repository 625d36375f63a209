/**
 * Which of the in-doubt rows Stripe counted, given by how much its total exceeds what we know was
 * counted (`delta`): the subset of `values` summing to `delta`, or null when none or more than one
 * subset does (then nobody can tell, and nothing is guessed). Distinct rows with equal values are
 * told apart only when the subset takes all or none of them.
 */
export function uniqueCountedSubset(values: readonly number[], delta: number): boolean[] | null {
  const total = values.reduce((a, b) => a + b, 0);
  if (delta < 0 || delta > total) return null;
  if (delta === 0) return values.map(() => false);
  if (delta === total) return values.map(() => true);
  // ways[i][s]: the number of subsets of values[i..] summing to s, capped at 2 (only "one" matters).
  const n = values.length;
  const ways: Uint8Array[] = Array.from({ length: n + 1 }, () => new Uint8Array(delta + 1));
  ways[n]![0] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const v = values[i]!;
    for (let s = 0; s <= delta; s++) {
      const without = ways[i + 1]![s]!;
      const withIt = s >= v ? ways[i + 1]![s - v]! : 0;
      ways[i]![s] = Math.min(2, without + withIt);
    }
  }
  if (ways[0]![delta] !== 1) return null;
  const chosen: boolean[] = [];
  let s = delta;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const take = s >= v && ways[i + 1]![s - v]! === 1;
    chosen.push(take);
    if (take) s -= v;
  }
  return chosen;
}
