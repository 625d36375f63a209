/**
 * Where the CPU goes while the bench runs: the API process, the worker process, the PostgreSQL
 * backends serving the bench database, and each core's utilisation second by second, all read
 * from /proc (Linux). A summary for stderr; the bench's result line does not depend on it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Pool } from 'pg';

const TICKS_PER_S = 100; // USER_HZ on Linux

function coreTicks(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const v = l.trim().split(/\s+/).slice(1).map(Number);
      const idle = v[3]! + v[4]!;
      return { busy: v.reduce((a, b) => a + b, 0) - idle, total: v.reduce((a, b) => a + b, 0) };
    });
}

const busyPct = (now: ReturnType<typeof coreTicks>, then: ReturnType<typeof coreTicks>) =>
  now.map((c, i) => Math.round((100 * (c.busy - then[i]!.busy)) / Math.max(1, c.total - then[i]!.total)));

export function pidCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime
  } catch {
    return undefined; // exited since listed
  }
}

/** The first process whose command line (arguments joined by spaces) `matches`, or null. */
export function findPid(matches: (cmdline: string) => boolean): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (matches(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '))) return Number(entry);
    } catch {
      // exited since listed
    }
  }
  return null;
}

/** A process measured by pid (its CPU reads 0 once it has exited). */
export function measuredPid(name: string, pid: number): Measured {
  return { name, cpuSeconds: () => pidCpuSeconds(pid) ?? 0 };
}

export interface PhaseCpu {
  name: string;
  seconds: number;
  /** CPU seconds per measured process ('postgres' = the bench database's backends). */
  cpuS: Record<string, number>;
  coreBusyPct: number[];
}

export interface Measured {
  name: string;
  cpuSeconds(): number;
}

export class CpuSampler {
  /** Backends seen: CPU at first sight and at the last sample (a backend is sampled while it lives). */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly timeline: number[][] = [];
  private lastCores = coreTicks();
  private phase: { name: string; started: number; cpu: Record<string, number>; cores: ReturnType<typeof coreTicks> } | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly database: string,
    private readonly processes: Measured[],
  ) {}

  private async postgresCpuS(): Promise<number> {
    const { rows } = await this.pool.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [this.database]);
    for (const { pid } of rows) {
      const s = pidCpuSeconds(pid);
      if (s === undefined) continue;
      const seen = this.backends.get(pid);
      if (seen) seen.last = s;
      else this.backends.set(pid, { first: s, last: s });
    }
    let sum = 0;
    for (const s of this.backends.values()) sum += s.last - s.first;
    return sum;
  }

  private async cpuNow(): Promise<Record<string, number>> {
    const cpu: Record<string, number> = {};
    for (const p of this.processes) cpu[p.name] = p.cpuSeconds();
    cpu.postgres = await this.postgresCpuS();
    return cpu;
  }

  start(): void {
    this.timer = setInterval(() => {
      const now = coreTicks();
      this.timeline.push(busyPct(now, this.lastCores));
      this.lastCores = now;
      void this.postgresCpuS().catch(() => undefined);
    }, 1000);
  }

  async begin(name: string): Promise<void> {
    this.phase = { name, started: performance.now(), cpu: await this.cpuNow(), cores: coreTicks() };
  }

  async end(): Promise<PhaseCpu> {
    const p = this.phase!;
    const cpu = await this.cpuNow();
    const cpuS: Record<string, number> = {};
    for (const [name, s] of Object.entries(cpu)) cpuS[name] = s - p.cpu[name]!;
    return { name: p.name, seconds: (performance.now() - p.started) / 1000, cpuS, coreBusyPct: busyPct(coreTicks(), p.cores) };
  }

  /** Stops sampling; one line per core with its busy % for each second. */
  stop(): string[] {
    clearInterval(this.timer);
    return this.timeline[0]?.map((_, core) => `core ${core} busy % per second: ${this.timeline.map((t) => t[core]).join(' ')}`) ?? [];
  }
}
