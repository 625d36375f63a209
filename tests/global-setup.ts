import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { DEFAULT_APP_ROLE, urlAsRole } from '../db/app-role';
import { dropDatabase } from '../db/create-database';
import { prepareDatabase } from '../db/orm';
import { buildConsole } from '../scripts/build-console';
import { temporalPaths } from '../scripts/temporal-paths';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { describeFindings, scanLogDir } from './support/log-scan';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The app's role: what the harness and spawned processes run as. */
    databaseUrl: string;
    /** The schema owner: only for tests that tamper as an attacker with owner access would. */
    ownerDatabaseUrl: string;
    temporalAddress: string;
    masterKey: string;
    workflowBundlePath: string;
    temporalCliPath: string;
    /** The console (web/) built once for the run; browser tests serve it from the API (CONSOLE_DIR). */
    consoleDir: string;
    /** Where every process of the run appends its info-level log lines for the log scan (tests/support/log-scan.ts). */
    logScanDir: string;
  }
}

/**
 * Once per run: a fresh database (migrated, dropped at the end), one real Temporal dev server with
 * our search attributes, and the workflow bundle built once for every test worker to reuse.
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/';
  const ownerDatabaseUrl = `${base}massivesms_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = urlAsRole(ownerDatabaseUrl, DEFAULT_APP_ROLE);
  await prepareDatabase(ownerDatabaseUrl, databaseUrl);

  const paths = temporalPaths();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: paths.cli },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      ui: false,
    },
  });

  const outDir = join(__dirname, '..', '.data', 'test');
  mkdirSync(outDir, { recursive: true });
  const workflowBundlePath = join(outDir, `workflow-bundle-${process.pid}.js`);
  const bundle = await bundleWorkflowCode({
    workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(workflowBundlePath, bundle.code);
  const consoleDir = join(outDir, `web-${process.pid}`);
  buildConsole(consoleDir);
  const logScanDir = join(outDir, `logs-${process.pid}`);
  mkdirSync(logScanDir, { recursive: true });
  const masterKey = randomBytes(32).toString('base64');

  project.provide('databaseUrl', databaseUrl);
  project.provide('ownerDatabaseUrl', ownerDatabaseUrl);
  project.provide('temporalAddress', env.address);
  project.provide('masterKey', masterKey);
  project.provide('logScanDir', logScanDir);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalCliPath', paths.cli);
  project.provide('consoleDir', consoleDir);

  return async () => {
    await env.teardown();
    await dropDatabase(ownerDatabaseUrl);
    // Each file's logs were scanned when it ended; this catches lines written after that (a process outliving its file).
    const findings = readdirSync(logScanDir).flatMap((d) =>
      scanLogDir(join(logScanDir, d), [masterKey]).map((f) => ({ ...f, file: `${d}/${f.file}` })),
    );
    if (findings.length > 0) throw new Error(`${describeFindings(findings)}\n(the logs are kept in ${logScanDir})`);
    rmSync(logScanDir, { recursive: true, force: true });
    rmSync(consoleDir, { recursive: true, force: true });
  };
}
