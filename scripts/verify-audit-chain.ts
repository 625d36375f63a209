import { loadConfig } from '../config/env';
import { openOrm } from '../db/orm';
import { deriveMasterKeys } from '../lib/crypto/keys';
import { verifyAuditChain } from '../services/audit-log';
import { devEnvironment } from './dev-env';

/**
 * Exits 0 when every audit entry matches its MAC chain and the chain reaches its latest checkpoint,
 * 1 (naming the first bad or missing entry, or the truncation) otherwise.
 */
async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  const orm = await openOrm(config.DATABASE_URL);
  const verdict = await verifyAuditChain(orm.em.fork(), [deriveMasterKeys(config.MASTER_KEY).auditMacKey]);
  await orm.close();
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : 1);
}

void main();
