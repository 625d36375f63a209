import { loadConfig } from '../config/env';
import { createPgPool } from '../db/pg-pool';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { rotateMasterKey } from '../services/key-rotation';
import { devEnvironment } from './dev-env';

/**
 * `npm run keys:rotate`: with MASTER_KEY set to the new key and MASTER_KEY_PREVIOUS to the old one,
 * rewraps every stored key under MASTER_KEY. Safe to run again; afterwards MASTER_KEY_PREVIOUS can go.
 */
async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  const pool = createPgPool(config.DATABASE_URL, 1);
  try {
    const result = await rotateMasterKey(pool, deriveMasterKeys(config.MASTER_KEY, config.MASTER_KEY_PREVIOUS));
    console.log(JSON.stringify({ rewrapped: result }));
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
