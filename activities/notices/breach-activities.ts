import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { appendAudit } from '../../services/audit-log';
import { breachUpdates, findBreach } from '../../services/breaches/breach-store';
import { breachNoticeEmail, breachReminderEmail, type BreachNoticeKind } from '../../services/email/templates/breach-notice';
import { staffWithRoles } from '../../services/notices/notice-store';
import type { NoticeSender } from '../../services/notices/notice-sender';
import type { BreachPhase } from '../../workflows/notices/breach';
import type { NoticeActivityDeps } from './notice-activity-deps';

const REMINDED_ROLES = ['security', 'privacy'];
const HOUR_MS = 3_600_000;

export function createBreachActivities(deps: NoticeActivityDeps, sender: NoticeSender) {
  async function loadBreach(breachId: string) {
    const breach = await findBreach(deps.orm.em.fork(), breachId);
    // Retryable: the declaring request commits just after it starts the workflow.
    if (!breach) throw ApplicationFailure.retryable(`breach ${breachId} not found`, 'BreachNotFound');
    return breach;
  }

  return {
    /** Reminds every active security and privacy staff member, once each per reminder. */
    async sendBreachReminders(input: { breachId: string; hours: number; atMs: number }): Promise<{ staff: number }> {
      const breach = await loadBreach(input.breachId);
      const content = breachReminderEmail({
        breachId: breach.id,
        hours: input.hours,
        deadlineAt: new Date(breach.awareAt.getTime() + 72 * HOUR_MS),
      });
      const phase = {
        processId: `breach:${breach.id}`,
        phase: `reminder-${input.hours}h`,
        contentVersion: 'reminder',
        sentAt: new Date(input.atMs),
      };
      const staff = await staffWithRoles(deps.orm.em.fork(), REMINDED_ROLES);
      for (const member of staff) {
        await sender.toStaff(phase, member, content);
        Context.current().heartbeat();
      }
      return { staff: staff.length };
    },

    /** One phase of the notice to every affected controller (email to its admin contacts and an in-product notice). */
    async sendBreachNotices(input: {
      breachId: string;
      phase: BreachPhase;
      atMs: number;
      approvedVersion: number;
    }): Promise<{ accounts: number }> {
      const breach = await loadBreach(input.breachId);
      const updates = await breachUpdates(deps.orm.em.fork(), breach.id);
      const kind: BreachNoticeKind = input.phase.startsWith('update-') ? 'update' : (input.phase as BreachNoticeKind);
      const seq = kind === 'update' ? Number(input.phase.slice('update-'.length)) : null;
      // The staff decision is signalled inside its transaction: wait for its commit, never send older content.
      if (breach.contentVersion < input.approvedVersion || (seq !== null && !updates.some((u) => u.seq === seq))) {
        throw ApplicationFailure.retryable(`breach ${breach.id}: the decision is not committed yet`, 'BreachDecisionPending');
      }
      const shown = seq === null ? updates : updates.filter((u) => u.seq <= seq);
      const content = breachNoticeEmail({ breachId: breach.id, kind, awareAt: breach.awareAt, assessment: breach, updates: shown });
      const contentVersion = `v${breach.contentVersion}${seq === null ? '' : `+u${seq}`}`;
      const phase = { processId: `breach:${breach.id}`, phase: input.phase, contentVersion, sentAt: new Date(input.atMs) };
      await sender.toAccounts(
        phase,
        { kind: 'breach', breachId: breach.id },
        { ...content, inProduct: { title: content.title, body: content.text, shownUntil: null } },
        (sent) => Context.current().heartbeat(sent),
      );
      const [row] = await deps.orm.em
        .fork()
        .execute<{ n: string }[]>(
          `select count(*) as n from notice_deliveries where process_id = ? and phase = ? and recipient_kind = 'account'`,
          [phase.processId, phase.phase],
        );
      return { accounts: Number(row!.n) };
    },

    /** A step of the process with no message: audited (no notice needed, deadline at risk, closed). */
    async recordBreachStep(input: { breachId: string; step: 'no_notice' | 'deadline_at_risk' | 'closed'; atMs: number }): Promise<void> {
      const breach = await loadBreach(input.breachId);
      await deps.orm.em.fork().transactional(async (em) => {
        const already = await em.execute(`select 1 from audit_log where action = ? and target_id = ? limit 1`, [
          `breach.${input.step}`,
          `breach:${breach.id}`,
        ]);
        if (already.length > 0) return; // a retried activity
        await appendAudit(em, {
          actorType: 'system',
          action: `breach.${input.step}`,
          targetType: 'breach',
          targetId: `breach:${breach.id}`,
          details: {
            at: new Date(input.atMs).toISOString(),
            hoursSinceAwareness: Math.floor((input.atMs - breach.awareAt.getTime()) / HOUR_MS),
          },
        });
      });
    },
  };
}
