import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { createApp, openApiDocumentOf } from '../api/app';
import { loadConfig } from '../config/env';
import { prepareDatabase } from '../db/orm';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { devEnvironment, ownerUrl } from './dev-env';
import { openApiTypes, WEB_SCHEMA_FILE } from './openapi-types';

/** Regenerates the console's typed client from the API's routes (on the dev database; Temporal is not called). */
async function main(): Promise<void> {
  const config = loadConfig({ ...devEnvironment(), LOG_LEVEL: 'warn' });
  await prepareDatabase(ownerUrl(config), config.DATABASE_URL);
  const deps = await createServiceDeps(config, 'web-client');
  try {
    const app = createApp({ ...deps, temporal: new Client({ namespace: config.TEMPORAL_NAMESPACE }) });
    writeFileSync(join(__dirname, '..', WEB_SCHEMA_FILE), await openApiTypes(openApiDocumentOf(app)));
    console.log(`wrote ${WEB_SCHEMA_FILE}`);
  } finally {
    await closeServiceDeps(deps);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
