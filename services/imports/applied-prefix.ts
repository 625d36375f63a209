/**
 * The first chunk not yet applied, while chunks complete in any order: every chunk before it is
 * applied. What an import activity heartbeats, so a retry resumes where nothing below is missing.
 */
export class AppliedPrefix {
  private readonly applied: Set<number>;
  private next: number;

  constructor(start: number, alreadyApplied: Iterable<number>) {
    this.applied = new Set(alreadyApplied);
    this.next = start;
    this.advance();
  }

  get nextChunk(): number {
    return this.next;
  }

  add(chunkNo: number): number {
    this.applied.add(chunkNo);
    this.advance();
    return this.next;
  }

  private advance(): void {
    while (this.applied.has(this.next)) this.next++;
  }
}
