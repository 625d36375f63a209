import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openApiDocumentOf } from '../api/app';
import { openApiTypes, WEB_SCHEMA_FILE } from '../scripts/openapi-types';
import { startHarness, type Harness } from './support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

// The console is type-checked against this file (npm run build:web): a route or schema change that is
// not regenerated fails here, and one that is regenerated fails the console's build where a page relies on it.
it('the console’s typed client is generated from the API’s current /openapi.json (npm run web:client)', async () => {
  const committed = readFileSync(join(__dirname, '..', WEB_SCHEMA_FILE), 'utf8');
  expect(committed === (await openApiTypes(openApiDocumentOf(h.app))), 'web/src/api/schema.d.ts is stale: run npm run web:client').toBe(
    true,
  );
});
