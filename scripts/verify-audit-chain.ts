import { loadConfig } from '../config/env';
import { openOrm } from '../db/orm';
import { verifyAuditChain } from '../services/audit-log';
import { devEnvironment } from './dev-env';

/** Exits 0 when every audit entry matches its hash chain, 1 (naming the first bad entry) otherwise. */
async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  const orm = await openOrm(config.DATABASE_URL);
  const verdict = await verifyAuditChain(orm.em.fork());
  await orm.close();
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : 1);
}

void main();
