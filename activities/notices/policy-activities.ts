import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { appendAudit } from '../../services/audit-log';
import { policyChangeEmail } from '../../services/email/templates/notice-emails';
import type { NoticeSender } from '../../services/notices/notice-sender';
import { insertCustomerNotice } from '../../services/notices/notice-store';
import { findPolicyVersion, type PolicyKind } from '../../services/policies/policy-store';
import { publishChangelog } from '../../services/subprocessors/subprocessor-store';
import type { NoticeActivityDeps } from './notice-activity-deps';

export function createPolicyActivities(deps: NoticeActivityDeps, sender: NoticeSender) {
  async function load(kind: PolicyKind, version: string) {
    const p = await findPolicyVersion(deps.orm.em.fork(), kind, version);
    if (!p) throw ApplicationFailure.retryable(`policy ${kind} ${version} not found`, 'PolicyNotFound');
    return p;
  }

  return {
    /** A material change: the banner until it takes effect and an email to every account holder, once. */
    async announcePolicy(input: { kind: PolicyKind; version: string; atMs: number }): Promise<{ accounts: number }> {
      const p = await load(input.kind, input.version);
      const processId = `policy:${p.kind}:${p.version}`;
      const at = new Date(input.atMs);
      const content = policyChangeEmail(p);
      await insertCustomerNotice(deps.orm.em.fork(), {
        processId,
        phase: 'announcement',
        accountId: null,
        title: content.title,
        body: content.text,
        contentVersion: p.version,
        shownFrom: at,
        shownUntil: p.effectiveAt,
      });
      const accounts = await sender.toAccounts(
        { processId, phase: 'announcement', contentVersion: p.version, sentAt: at },
        { kind: 'active_accounts', createdBefore: at },
        content,
        (sent) => Context.current().heartbeat(sent),
      );
      return { accounts };
    },

    async recordPolicyInForce(input: { kind: PolicyKind; version: string; atMs: number }): Promise<void> {
      const p = await load(input.kind, input.version);
      const ref = `policy:${p.kind}:${p.version}:in_force`;
      await deps.orm.em.fork().transactional(async (em) => {
        const already = await em.execute(`select 1 from changelog_entries where ref = ?`, [ref]);
        if (already.length > 0) return; // a retried activity
        await publishChangelog(em, {
          publishedAt: new Date(input.atMs),
          kind: 'policy',
          ref,
          title: `${p.kind === 'dpa' ? 'DPA' : 'Privacy Policy'} version ${p.version} is in force`,
          body: p.url ?? `Version ${p.version} took effect on ${p.effectiveAt.toISOString()}.`,
        });
        await appendAudit(em, {
          actorType: 'system',
          action: 'policy.in_force',
          targetType: 'policy',
          targetId: `policy:${p.kind}:${p.version}`,
          details: { at: new Date(input.atMs).toISOString(), material: p.material },
        });
      });
    },
  };
}
