import type { Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { auditMacAt, type AuditHead, type ChainVerdict } from './audit-log';

/** The workflow whose results are the anchors (workflows/audit-anchor.ts); named here so services need not import workflow code. */
export const AUDIT_ANCHOR_WORKFLOW_TYPE = 'auditAnchorWorkflow';
/** Anchors read per verification: a day of hourly runs. */
export const AUDIT_ANCHORS_CHECKED = 24;

/** A head recorded in Temporal's history, where the database's roles cannot reach it. */
export interface AuditAnchor extends AuditHead {
  workflowId: string;
  /** When the anchoring run closed (ISO 8601). */
  anchoredAt: string;
}

export type AnchorVerdict =
  | { ok: true; checked: number; anchoredEntries: number }
  | { ok: false; checked: number; anchoredEntries: number; anchoredAt: string; workflowId: string; reason: string };

export interface AnchoredVerdict {
  ok: boolean;
  chain: ChainVerdict;
  anchors: AnchorVerdict;
}

/** The newest completed anchoring runs' results, newest first. */
export async function listAuditAnchors(client: Client, limit = AUDIT_ANCHORS_CHECKED): Promise<AuditAnchor[]> {
  const anchors: AuditAnchor[] = [];
  const query = `WorkflowType = '${AUDIT_ANCHOR_WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed'`;
  for await (const run of client.workflow.list({ query, pageSize: limit })) {
    const head = await client.workflow.getHandle<() => Promise<AuditHead>>(run.workflowId, run.runId).result();
    anchors.push({ ...head, workflowId: run.workflowId, anchoredAt: (run.closeTime ?? run.startTime).toISOString() });
    if (anchors.length === limit) break;
  }
  return anchors.sort((a, b) => (a.anchoredAt < b.anchoredAt ? 1 : a.anchoredAt > b.anchoredAt ? -1 : 0));
}

/**
 * Compares the database's chain with heads anchored in Temporal: an owner who cuts the tail of
 * audit_log together with its checkpoints passes the database-only check, but the chain is then
 * shorter than an anchor, or (once new entries were appended over the cut) its MAC at an anchored
 * entry differs. Only meaningful over a chain that verifies, since the MACs compared are the stored ones.
 */
export async function verifyAgainstAnchors(em: EntityManager, chain: ChainVerdict, anchors: AuditAnchor[]): Promise<AnchoredVerdict> {
  const anchoredEntries = Math.max(0, ...anchors.map((a) => a.entries));
  for (const anchor of anchors) {
    if (anchor.entries === 0) continue;
    const failed = (reason: string): AnchoredVerdict => ({
      ok: false,
      chain,
      anchors: {
        ok: false,
        checked: anchors.length,
        anchoredEntries,
        anchoredAt: anchor.anchoredAt,
        workflowId: anchor.workflowId,
        reason,
      },
    });
    if (chain.entries < anchor.entries) {
      return failed(`tail truncated: an anchor recorded ${anchor.entries} entries, the chain has ${chain.entries}`);
    }
    const mac = await auditMacAt(em, anchor.entries);
    if (mac?.toString('hex') !== anchor.headMac) return failed(`entry ${anchor.entries} does not match its anchor`);
  }
  return { ok: chain.ok, chain, anchors: { ok: true, checked: anchors.length, anchoredEntries } };
}
