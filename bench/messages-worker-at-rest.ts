import { rssMb, sleep } from './bench-kit';
import type { MessagesBenchPhase } from './messages-phase';

const SETTLE_MS = Number(process.env.BENCH_REST_SETTLE_MS ?? 5_000);

/**
 * The worker process's resident set at rest: started, its dispatchers running, the sender number
 * ordered, nothing queued; read after a few quiet seconds, before any load.
 */
export const workerAtRestPhase: MessagesBenchPhase = {
  name: 'worker at rest',
  async run(ctx) {
    await sleep(SETTLE_MS);
    const mb = rssMb(ctx.worker.pid!);
    ctx.log(`worker RSS at rest: ${mb} MB (api ${rssMb(ctx.api.pid!)} MB)`);
    return { worker_rss_at_rest_mb: mb };
  },
};
