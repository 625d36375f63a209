import type { Pool } from 'pg';
import { CpuSampler, type Measured } from './cpu-sampler';
import type { MessagesBenchPhase } from './messages-phase';

/**
 * Where a phase's CPU goes, per message: the phase runs under a CpuSampler over the product's
 * processes (API, worker, the Temporal server, the simulator) and the PostgreSQL backends of the
 * bench database. Adds `cpu_ms_per_msg` ({component: CPU ms per message the phase sent}),
 * `core_busy_pct`, and PostgreSQL's write amplification: `wal_bytes_per_msg` (the server's WAL
 * position moved; other databases on the server add to it, so run on a quiet server) and
 * `rows_written_per_msg` (the bench database's inserted + updated + deleted tuples, and commits).
 * docs/SCALING.md builds its capacity model on these.
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
      const writesBefore = await databaseWrites(measure.pool, measure.database);
      const fields = await phase.run(ctx);
      const writesAfter = await databaseWrites(measure.pool, measure.database);
      const cpu = await sampler.end();
      sampler.stop();
      const messages = fields.messages as number;
      const per = (key: keyof DatabaseWrites) => Number(((writesAfter[key] - writesBefore[key]) / messages).toFixed(2));
      const writes = {
        wal_bytes_per_msg: Math.round(per('walBytes')),
        rows_written_per_msg: { inserted: per('inserted'), updated: per('updated'), deleted: per('deleted'), commits: per('commits') },
      };
      ctx.log(`${phase.name}: PostgreSQL writes per message ${JSON.stringify(writes)}`);
      const perMessage = Object.fromEntries(
        Object.entries(cpu.cpuS).map(([name, seconds]) => [name, Number(((seconds * 1000) / messages).toFixed(3))]),
      );
      ctx.log(`${phase.name}: CPU ms per message ${JSON.stringify(perMessage)}; cores busy ${cpu.coreBusyPct.join(' / ')} %`);
      return { ...fields, cpu_ms_per_msg: perMessage, core_busy_pct: cpu.coreBusyPct, ...writes };
    },
  };
}

interface DatabaseWrites {
  walBytes: number;
  inserted: number;
  updated: number;
  deleted: number;
  commits: number;
}

/** The server's WAL position and the database's tuple and commit counters (cumulative; the statistics lag by up to a second). */
async function databaseWrites(pool: Pool, database: string): Promise<DatabaseWrites> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const { rows } = await pool.query<{ wal: string; ins: string; upd: string; del: string; commits: string }>(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as wal,
            tup_inserted::text as ins, tup_updated::text as upd, tup_deleted::text as del, xact_commit::text as commits
       from pg_stat_database where datname = $1`,
    [database],
  );
  const r = rows[0]!;
  return { walBytes: Number(r.wal), inserted: Number(r.ins), updated: Number(r.upd), deleted: Number(r.del), commits: Number(r.commits) };
}
