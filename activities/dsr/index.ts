import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EmailSender } from '../../providers/email/email-sender';
import { createEmailSender } from '../../providers/email/registry';
import { appendAudit } from '../../services/audit-log';
import type { ServiceDeps } from '../../services/deps';
import { carryOutDsr, type ErasureCounts } from '../../services/dsr/dsr-actions';
import {
  accountHolderEmails,
  decideExtension,
  findDsr,
  forgetErasedSubject,
  markCompleted,
  markIdentityVerified,
  markOverdue,
  privacyStaffEmails,
  type DsrRow,
} from '../../services/dsr/dsr-store';
import { openRequester } from '../../services/dsr/dsr-subject';
import { dsrEmailKeys, dsrExtendedEmail, dsrOverdueEmail, dsrReminderEmail } from '../../services/email/templates/dsr-emails';
import type { DsrOutcome } from '../../workflows/lifecycle/dsr';
import { nonRetryableWhenKeyDestroyed } from '../key-destroyed-failure';

type Deps = Pick<ServiceDeps, 'orm' | 'keyring' | 'config' | 'logger'>;

/**
 * The data subject request workflow's I/O. Arguments and results are ids, times and counts; the
 * subject's number and the requester's email are read from the sealed row here, never passed on.
 */
export function createDsrActivities(deps: Deps, email: EmailSender | null = createEmailSender(deps.config)) {
  const requireRow = async (requestId: string): Promise<DsrRow> => {
    const row = await findDsr(deps.orm.em.fork(), requestId);
    if (!row) throw ApplicationFailure.nonRetryable('the request no longer exists', 'DsrNotFound');
    return row;
  };
  const audit = (row: DsrRow, action: string, details: Record<string, unknown>) =>
    deps.orm.em.fork().transactional((em) =>
      appendAudit(em, {
        actorType: 'system',
        actorId: 'dsr',
        accountId: row.account_id,
        action,
        targetType: 'data_subject_request',
        targetId: row.id,
        details,
      }),
    );
  const send = async (to: string[], content: { subject: string; text: string; html: string }, idempotencyKey: string) => {
    if (to.length === 0) return false;
    if (!email) {
      deps.logger.warn({ idempotencyKey }, 'no email provider configured: data subject request email not sent');
      return false;
    }
    await email.send({ to, ...content, idempotencyKey, tags: [{ name: 'kind', value: 'dsr' }] });
    return true;
  };

  return nonRetryableWhenKeyDestroyed({
    async recordDsrIdentityVerified(requestId: string, staffUserId: string, atMs: number): Promise<void> {
      await markIdentityVerified(deps.orm.em.fork(), requestId, staffUserId, new Date(atMs));
    },

    async refuseDsrExtension(requestId: string, extensionId: string, atMs: number): Promise<void> {
      await decideExtension(deps.orm.em.fork(), requestId, extensionId, { applied: false }, new Date(atMs));
    },

    /** Moves the due date and tells the requester why (Art. 12(3)); the email's key makes a retry harmless. */
    async applyDsrExtension(requestId: string, extensionId: string, dueAtMs: number, atMs: number): Promise<void> {
      const dueAt = new Date(dueAtMs);
      const em = deps.orm.em.fork();
      await em.transactional((tem) => decideExtension(tem, requestId, extensionId, { applied: true, dueAt }, new Date(atMs)));
      const row = await requireRow(requestId);
      const [ext] = await em.execute<{ reason: string }[]>('select reason from data_subject_request_extensions where id = ?', [
        extensionId,
      ]);
      let to: string[];
      if (row.origin === 'customer') to = await accountHolderEmails(em, row.account_id);
      else to = row.requester_pii ? [openRequester(await deps.keyring.keyFor(em, row.account_id), row.id, row.requester_pii).email] : [];
      const sent = await send(
        to,
        dsrExtendedEmail({ requestId, dueAt, reason: ext?.reason ?? '' }),
        dsrEmailKeys.extended(requestId, extensionId),
      );
      if (sent) await audit(row, 'dsr.extension_notified', { extensionId, dueAt: dueAt.toISOString() });
    },

    async carryOutDsr(requestId: string): Promise<DsrOutcome> {
      const row = await requireRow(requestId);
      // Read lazily: only an erasure heartbeats, and reports the counts of the attempts before it.
      const resumed = (): ErasureCounts | undefined => {
        const details: unknown = Context.current().info.heartbeatDetails;
        return typeof details === 'object' && details !== null ? (details as ErasureCounts) : undefined;
      };
      return carryOutDsr(deps, row, { heartbeat: (counts) => Context.current().heartbeat(counts), resumed });
    },

    async recordDsrCompletion(requestId: string, outcome: DsrOutcome, atMs: number): Promise<void> {
      await deps.orm.em.fork().transactional(async (em) => {
        const row = await findDsr(em, requestId);
        if (!row) throw ApplicationFailure.nonRetryable('the request no longer exists', 'DsrNotFound');
        if (!(await markCompleted(em, requestId, outcome, new Date(atMs)))) return;
        if (row.type === 'erasure' && row.subject_phone_hash) await forgetErasedSubject(em, row.account_id, row.subject_phone_hash);
        await appendAudit(em, {
          actorType: 'system',
          actorId: 'dsr',
          accountId: row.account_id,
          action: 'dsr.completed',
          targetType: 'data_subject_request',
          targetId: requestId,
          details: { type: row.type, outcome, late: atMs > row.due_at.getTime() },
        });
      });
    },

    async remindPrivacyStaff(requestId: string, dueAtMs: number, before: string): Promise<void> {
      const row = await requireRow(requestId);
      const dueAt = new Date(dueAtMs);
      const to = await privacyStaffEmails(deps.orm.em.fork());
      const content = dsrReminderEmail({ requestId, accountId: row.account_id, dueAt, before });
      if (await send(to, content, dsrEmailKeys.reminder(requestId, dueAt, before))) {
        await audit(row, 'dsr.reminder_sent', { before, dueAt: dueAt.toISOString(), recipients: to.length });
      }
    },

    /** The missed deadline is audited once (the row's overdue_at says it was), and privacy staff are told. */
    async recordDsrOverdue(requestId: string, dueAtMs: number): Promise<void> {
      const row = await requireRow(requestId);
      const dueAt = new Date(dueAtMs);
      await deps.orm.em.fork().transactional(async (em) => {
        if (!(await markOverdue(em, requestId, dueAt))) return;
        await appendAudit(em, {
          actorType: 'system',
          actorId: 'dsr',
          accountId: row.account_id,
          action: 'dsr.overdue',
          targetType: 'data_subject_request',
          targetId: requestId,
          details: { type: row.type, dueAt: dueAt.toISOString() },
        });
      });
      const to = await privacyStaffEmails(deps.orm.em.fork());
      await send(to, dsrOverdueEmail({ requestId, accountId: row.account_id, dueAt }), dsrEmailKeys.overdue(requestId));
    },
  });
}

export type DsrActivities = ReturnType<typeof createDsrActivities>;
