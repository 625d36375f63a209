import type { Pool } from 'pg';
import { CpuSampler, type Measured } from './cpu-sampler';
import type { MessagesBenchPhase } from './messages-phase';

/**
 * Where a phase's CPU goes, per message: the phase runs under a CpuSampler over the product's
 * processes (API, worker, the Temporal server, the simulator) and the PostgreSQL backends of the
 * bench database. Adds `cpu_ms_per_msg` ({component: CPU ms per message the phase sent}) and
 * `core_busy_pct`; docs/SCALING.md builds its capacity model on these.
 */
export function withCpuPerMessage(
  phase: MessagesBenchPhase,
  measure: { pool: Pool; database: string; processes: () => Measured[] },
): MessagesBenchPhase {
  return {
    name: phase.name,
    async run(ctx) {
      const sampler = new CpuSampler(measure.pool, measure.database, measure.processes());
      sampler.start();
      await sampler.begin(phase.name);
      const fields = await phase.run(ctx);
      const cpu = await sampler.end();
      sampler.stop();
      const messages = fields.messages as number;
      const perMessage = Object.fromEntries(
        Object.entries(cpu.cpuS).map(([name, seconds]) => [name, Number(((seconds * 1000) / messages).toFixed(3))]),
      );
      ctx.log(`${phase.name}: CPU ms per message ${JSON.stringify(perMessage)}; cores busy ${cpu.coreBusyPct.join(' / ')} %`);
      return { ...fields, cpu_ms_per_msg: perMessage, core_busy_pct: cpu.coreBusyPct };
    },
  };
}
