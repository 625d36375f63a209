import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { appendAudit } from '../../services/audit-log';
import { subprocessorAnnouncementEmail, subprocessorExcludedEmail } from '../../services/email/templates/notice-emails';
import type { NoticeSender } from '../../services/notices/notice-sender';
import { insertCustomerNotice } from '../../services/notices/notice-store';
import { activateSubprocessor, findSubprocessor, objectionsTo, publishChangelog } from '../../services/subprocessors/subprocessor-store';
import type { NoticeActivityDeps } from './notice-activity-deps';

export function createSubprocessorActivities(deps: NoticeActivityDeps, sender: NoticeSender) {
  async function load(id: string) {
    const s = await findSubprocessor(deps.orm.em.fork(), id);
    if (!s) throw ApplicationFailure.retryable(`subprocessor ${id} not found`, 'SubprocessorNotFound');
    return s;
  }

  return {
    /** The banner and an email to every active account (once each). */
    async announceSubprocessor(input: { subprocessorId: string; atMs: number }): Promise<{ accounts: number }> {
      const s = await load(input.subprocessorId);
      const processId = `subprocessor:${s.id}`;
      const at = new Date(input.atMs);
      const content = subprocessorAnnouncementEmail(s);
      await insertCustomerNotice(deps.orm.em.fork(), {
        processId,
        phase: 'announcement',
        accountId: null,
        title: content.title,
        body: content.text,
        contentVersion: 'v1',
        shownFrom: at,
        shownUntil: s.effectiveAt,
      });
      const accounts = await sender.toAccounts(
        { processId, phase: 'announcement', contentVersion: 'v1', sentAt: at },
        { kind: 'active_accounts', createdBefore: at },
        content,
        (sent) => Context.current().heartbeat(sent),
      );
      return { accounts };
    },

    /** Active from now, audited and in the changelog; accounts with an unresolved objection are told they stay out. */
    async activateSubprocessor(input: { subprocessorId: string; atMs: number }): Promise<{ atMs: number; excludedAccounts: number }> {
      const at = new Date(input.atMs);
      await deps.orm.em.fork().transactional(async (em) => {
        const s = await findSubprocessor(em, input.subprocessorId, { forUpdate: true });
        if (!s) throw ApplicationFailure.retryable(`subprocessor ${input.subprocessorId} not found`, 'SubprocessorNotFound');
        if (!(await activateSubprocessor(em, s.id, at))) return; // a retried activity
        const excluded = (await objectionsTo(em, s.id)).filter((o) => o.status !== 'resolved').length;
        await publishChangelog(em, {
          publishedAt: at,
          kind: 'subprocessor',
          ref: `subprocessor:${s.id}:active`,
          title: `${s.name} is now a subprocessor`,
          body: `${s.name} (${s.purpose}; ${s.locations.join(', ')}) is in use from ${at.toISOString()}.`,
        });
        await appendAudit(em, {
          actorType: 'system',
          action: 'subprocessor.activated',
          targetType: 'subprocessor',
          targetId: `subprocessor:${s.id}`,
          details: { vendor: s.vendor, at: at.toISOString(), excludedAccounts: excluded },
        });
      });
      const s = await load(input.subprocessorId);
      const content = subprocessorExcludedEmail(s);
      const excludedAccounts = await sender.toAccounts(
        { processId: `subprocessor:${s.id}`, phase: 'excluded', contentVersion: 'v1', sentAt: at },
        { kind: 'objectors', subprocessorId: s.id },
        { ...content, inProduct: { title: content.title, body: content.text, shownUntil: null } },
        (sent) => Context.current().heartbeat(sent),
      );
      return { atMs: (s.activatedAt ?? at).getTime(), excludedAccounts };
    },
  };
}
