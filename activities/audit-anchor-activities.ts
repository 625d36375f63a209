import type { ServiceDeps } from '../services/deps';
import { readAuditHead, type AuditHead } from '../services/audit-log';

export function createAuditAnchorActivities(deps: Pick<ServiceDeps, 'orm'>) {
  return {
    /** Read-only, so retries are harmless; the result lands in the workflow's history as the anchor. */
    async readAuditHead(): Promise<AuditHead> {
      return readAuditHead(deps.orm.em.fork());
    },
  };
}

export type AuditAnchorActivities = ReturnType<typeof createAuditAnchorActivities>;
