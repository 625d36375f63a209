import { Client } from '@temporalio/client';
import type { AppConfig } from '../config/env';
import { loadConfig } from '../config/env';
import { listAuditAnchors, verifyAgainstAnchors, type AuditAnchor } from '../services/audit-anchors';
import { verifyAuditChain } from '../services/audit-log';
import { closeServiceDeps, createServiceDeps } from '../services/bootstrap';
import { connectClient } from '../workers/temporal-connection';
import { devEnvironment } from './dev-env';

/** The anchors Temporal holds, or undefined when it cannot be reached (why goes to stderr). */
async function readAnchors(config: AppConfig): Promise<AuditAnchor[] | undefined> {
  let connection;
  try {
    connection = await connectClient(config);
    return await listAuditAnchors(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  } catch (err) {
    console.error(
      `audit:verify: cannot read anchors from Temporal at ${config.TEMPORAL_ADDRESS}:`,
      err instanceof Error ? err.message : err,
    );
    return undefined;
  } finally {
    await connection?.close();
  }
}

/**
 * Prints `{ ok, chain, anchors }` and exits 0 when every audit entry matches its MAC chain, the chain
 * reaches its latest checkpoint, and it agrees with the heads anchored in Temporal; 1 otherwise,
 * including when Temporal is unreachable: the database alone cannot show a tail cut together with
 * its checkpoints, so an unconfirmed tail is not a pass (the chain verdict is still printed).
 */
async function main(): Promise<void> {
  const config = loadConfig(devEnvironment());
  const deps = await createServiceDeps({ ...config, LOG_LEVEL: 'warn' }, 'audit-verify');
  const em = deps.orm.em.fork();
  const chain = await verifyAuditChain(em, [deps.keys.auditMacKey]);
  const anchors = await readAnchors(config);
  const verdict = anchors
    ? await verifyAgainstAnchors(em, chain, anchors)
    : { ok: false, chain, anchors: { ok: false, reason: 'anchors not checked: Temporal is unreachable' } };
  await closeServiceDeps(deps);
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : 1);
}

void main();
