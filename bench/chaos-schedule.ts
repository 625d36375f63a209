/** The chaos bench's fault schedule: which faults, in which order, how long each lasts, all drawn from one seed. */

export type Fault =
  | { kind: 'postgres-stop'; downMs: number }
  | { kind: 'temporal-kill'; downMs: number }
  | { kind: 'telnyx-outage'; downMs: number }
  | { kind: 'process-signal'; target: string; signal: 'SIGKILL' | 'SIGTERM' };

export interface ScheduledFault {
  fault: Fault;
  /** Quiet time before this fault starts. */
  gapMs: number;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Postgres stopped twice (down 20–40 s), Temporal killed once, a 30 s Telnyx outage, each worker
 * SIGKILLed three times, each API SIGKILLed twice and SIGTERMed once; shuffled, 2–6 s apart.
 */
export function chaosSchedule(seed: number, apis: string[], workers: string[]): ScheduledFault[] {
  const random = seededRandom(seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const faults: Fault[] = [
    { kind: 'postgres-stop', downMs: between(20_000, 40_000) },
    { kind: 'postgres-stop', downMs: between(20_000, 40_000) },
    { kind: 'temporal-kill', downMs: between(5_000, 15_000) },
    { kind: 'telnyx-outage', downMs: 30_000 },
    ...workers.flatMap((target) =>
      Array.from({ length: 3 }, () => ({ kind: 'process-signal' as const, target, signal: 'SIGKILL' as const })),
    ),
    ...apis.flatMap((target) => [
      { kind: 'process-signal' as const, target, signal: 'SIGKILL' as const },
      { kind: 'process-signal' as const, target, signal: 'SIGKILL' as const },
      { kind: 'process-signal' as const, target, signal: 'SIGTERM' as const },
    ]),
  ];
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [faults[i], faults[j]] = [faults[j]!, faults[i]!];
  }
  return faults.map((fault) => ({ fault, gapMs: between(2_000, 6_000) }));
}

export function describeFault(fault: Fault): string {
  if (fault.kind === 'process-signal') return `${fault.signal} ${fault.target}`;
  return `${fault.kind} for ${(fault.downMs / 1000).toFixed(0)} s`;
}
