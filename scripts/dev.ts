import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { withApiHeapBudget } from '../api/heap-budget';
import { loadConfig } from '../config/env';
import { prepareDatabase } from '../db/orm';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { consoleBuildCommand } from './build-console';
import { ChildGroup } from './child-group';
import { dataDir, devEnvironment, ownerUrl } from './dev-env';
import { DEV_SIMULATOR_PORTS, devProviderWiring } from './dev-providers';
import { temporalPaths } from './temporal-paths';

const children = new ChildGroup((name, how) => {
  console.error(`[dev] ${name} exited (${how}); stopping the stack`);
  void stopAll(1);
});
let stopping = false;

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await children.stopAll();
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
  // `on`, not `once`: a terminal's Ctrl-C can arrive twice (from npm and the shell), and a second
  // signal with no handler would kill this process before its children are stopped.
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const shellEnv = devEnvironment();
  const publicBaseUrl = shellEnv.PUBLIC_BASE_URL ?? `http://127.0.0.1:${shellEnv.PORT ?? '3000'}`;
  const providers = devProviderWiring(shellEnv, dataDir, publicBaseUrl);
  // Customer webhooks may target loopback receivers in dev; production refuses this flag.
  const env: NodeJS.ProcessEnv = { WEBHOOKS_ALLOW_LOOPBACK: 'true', ...shellEnv, PUBLIC_BASE_URL: publicBaseUrl, ...providers.productEnv };
  const config = loadConfig(env);
  const [host, port] = config.TEMPORAL_ADDRESS.split(':');

  if (host === '127.0.0.1' || host === 'localhost') {
    children.start(
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
  await prepareDatabase(ownerUrl(config), config.DATABASE_URL);
  await waitForTemporal(config.TEMPORAL_ADDRESS);
  if (stopping) return;

  if (providers.simulatorEnv) {
    children.start('simulator', process.execPath, ['--import', 'tsx', join(__dirname, '..', 'simulator', 'server.ts')], {
      ...shellEnv,
      ...providers.simulatorEnv,
    });
  }
  // node itself with tsx's loader, so each child's pid is the real process and its group holds its helpers.
  const node = (file: string) => ['--import', 'tsx', join(__dirname, '..', file)];
  if (providers.localOidcIssuerPort !== null) {
    children.start('oidc-issuer', process.execPath, node('simulator/oidc-server.ts'), {
      ...shellEnv,
      SIM_OIDC_PORT: String(providers.localOidcIssuerPort),
    });
  }
  // The console: Vite's watch mode builds it at start and again on every change; until its first
  // build lands in dist/web the API answers /app with a 404 (it reads index.html per request).
  const watch = consoleBuildCommand(undefined, true);
  children.start('console-build', process.execPath, watch.args, watch.env);
  children.start('worker', process.execPath, node('workers/worker.ts'), env);
  children.start('api', process.execPath, node('api/server.ts'), { ...env, NODE_OPTIONS: withApiHeapBudget(env.NODE_OPTIONS) });

  console.log(`
MassiveSMS is starting:
  Console       ${publicBaseUrl}/app/
  API           http://127.0.0.1:${config.PORT}
  API docs      http://127.0.0.1:${config.PORT}/docs
  Temporal UI   http://127.0.0.1:8233
  Temporal gRPC ${config.TEMPORAL_ADDRESS}
  Simulator     ${providers.simulatorEnv ? `http://127.0.0.1:${DEV_SIMULATOR_PORTS.main}/_sim/ledger (simulating ${providers.simulated.join(', ')})` : 'off (real provider credentials set)'}
  Google sign-in ${providers.localOidcIssuerPort !== null ? `the local OpenID provider on http://127.0.0.1:${providers.localOidcIssuerPort}: /v1/auth/google/start?loginHint=you@example.com` : 'Google (GOOGLE_CLIENT_ID set)'}
Ctrl-C stops everything.
`);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll(1);
});
