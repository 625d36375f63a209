/** A valid US number per index: +1 415 2xx xxxx (distinct for i < 8,000,000). */
export function phoneFor(i: number): string {
  return `+1415${200 + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, '0')}`;
}

export function csvOf(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
