import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { withApiHeapBudget } from '../api/heap-budget';
import { loadConfig } from '../config/env';
import { prepareDatabase } from '../db/orm';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { dataDir, devEnvironment } from './dev-env';
import { temporalPaths } from './temporal-paths';

const children: ChildProcess[] = [];
let stopping = false;

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[dev] ${name} exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  return child;
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.reverse().map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  process.exit(exitCode);
}

async function waitForTemporal(address: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`Temporal did not come up on ${address}`);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  const env = devEnvironment();
  const config = loadConfig(env);
  const [host, port] = config.TEMPORAL_ADDRESS.split(':');

  if (host === '127.0.0.1' || host === 'localhost') {
    start(
      'temporal',
      temporalPaths().cli,
      [
        'server',
        'start-dev',
        '--db-filename',
        join(dataDir, 'temporal.db'),
        '--ip',
        '127.0.0.1',
        '--port',
        port ?? '7233',
        '--ui-port',
        '8233',
        '--log-level',
        'warn',
        ...SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
      ],
      env,
    );
  }
  await prepareDatabase(config.DATABASE_URL);
  await waitForTemporal(config.TEMPORAL_ADDRESS);

  const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  start('worker', tsx, [join(__dirname, '..', 'workers', 'worker.ts')], env);
  start('api', tsx, [join(__dirname, '..', 'api', 'server.ts')], { ...env, NODE_OPTIONS: withApiHeapBudget(env.NODE_OPTIONS) });

  console.log(`
MassiveSMS is starting:
  API           http://127.0.0.1:${config.PORT}
  API docs      http://127.0.0.1:${config.PORT}/docs
  Temporal UI   http://127.0.0.1:8233
  Temporal gRPC ${config.TEMPORAL_ADDRESS}
Ctrl-C stops everything.
`);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll(1);
});
