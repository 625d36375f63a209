import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm run histories:record`: records, from real runs of this checkout's workflows, one or more
 * history of every workflow type into tests/fixtures/histories/<workflowType>/<release>_<name>.json.
 * Run at release and commit the new files beside the old ones; tests/workflow-replay.test.ts replays
 * them all against the current workflow code.
 *
 * It runs the scenarios in tests/histories/*.record.ts with the test harness (vitest.histories.config.mts:
 * a fresh database, a Temporal dev server, the simulator, the product's workers): dev-server.record.ts
 * for the send path and housekeeping, time-skipping.record.ts for the processes with day-long timers,
 * analytics.record.ts for the daily messages_sent_daily run.
 * HISTORIES_RELEASE names the release (default: today's UTC date); extra arguments go to vitest.
 */
const release = process.env.HISTORIES_RELEASE ?? new Date().toISOString().slice(0, 10);
const root = join(__dirname, '..');
const run = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.histories.config.mts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, HISTORIES_RELEASE: release },
});
process.exit(run.status ?? 1);
