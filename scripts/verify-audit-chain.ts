import { loadConfig } from '../config/env';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { verifyAuditChain } from '../services/audit-log';
import { devEnvironment } from './dev-env';

/**
 * Exits 0 when every audit entry matches its MAC chain and the chain reaches its latest checkpoint,
 * 1 (naming the first bad or missing entry, or the truncation) otherwise.
 */
async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  const deps = await createServiceDeps({ ...config, LOG_LEVEL: 'warn' }, 'audit-verify');
  const verdict = await verifyAuditChain(deps.orm.em.fork(), [deps.keys.auditMacKey]);
  await closeServiceDeps(deps);
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : 1);
}

void main();
