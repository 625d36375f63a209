import type { MikroORM } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { appendAudit } from '../audit-log';
import { mapBounded } from '../messaging/send-concurrency';
import { loadSubprocessorGate } from '../subprocessors/subprocessor-gate';
import { accountsOwed, adminContacts, insertCustomerNotice, isDelivered, recordDelivery, type NoticeAudience } from './notice-store';

/** The email provider is a subprocessor like any other: asked through the gate before each send. */
export const EMAIL_VENDOR = 'resend';
const PAGE = 100;
const CONCURRENCY = 8;

export interface NoticeContent {
  subject: string;
  text: string;
  html: string;
  /** The in-product notice (GET /v1/notices); none for email-only phases. */
  inProduct?: { title: string; body: string; shownUntil: Date | null };
}

export interface NoticePhase {
  /** The workflow id, e.g. `breach:<id>`: the business id every key below starts with. */
  processId: string;
  /** initial, full, follow-up, update-3, announcement, reminder-24h … */
  phase: string;
  contentVersion: string;
  /** The workflow's clock when the phase fired: the recorded send time. */
  sentAt: Date;
}

/** A send that must be tried again (the provider was unreachable); what was sent stays recorded. */
export class NoticeSendRetryable extends Error {
  constructor(readonly code: string) {
    super(`notice email not sent yet: ${code}`);
    this.name = 'NoticeSendRetryable';
  }
}

export interface NoticeSenderDeps {
  orm: MikroORM;
  pgPool: Pool;
  email: EmailSender | null;
  logger: Logger;
}

/**
 * Sends one phase of a notice process to its audience, once per recipient: each recipient's email
 * carries the idempotency key `<process>:<phase>:<recipient>` (a retried activity is the same email
 * at the provider) and a delivery row (send time, content version) is written with its audit entry,
 * so a retry skips who already has it.
 */
export class NoticeSender {
  constructor(private readonly deps: NoticeSenderDeps) {}

  /** Every account of the audience not yet sent this phase; returns how many were sent now. */
  async toAccounts(phase: NoticePhase, audience: NoticeAudience, content: NoticeContent, onPage?: (sent: number) => void): Promise<number> {
    let sent = 0;
    for (;;) {
      const em = this.deps.orm.em.fork();
      const owed = await accountsOwed(em, phase.processId, phase.phase, audience, PAGE);
      if (owed.length === 0) return sent;
      const [contacts, gate] = await Promise.all([adminContacts(em, owed), loadSubprocessorGate(this.deps.pgPool, owed)]);
      const results = await mapBounded(owed, CONCURRENCY, async (accountId) => {
        const to = contacts.get(accountId) ?? [];
        const email = to.length === 0 ? 'no_contact' : gate.allowed(accountId, EMAIL_VENDOR) ? 'send' : 'vendor_not_allowed';
        try {
          const outcome =
            email === 'send'
              ? await this.send(to, `${phase.processId}:${phase.phase}:${accountId}`, content, phase)
              : { email, emailId: null };
          await this.record(phase, 'account', accountId, outcome, content);
          return null;
        } catch (err) {
          if (err instanceof NoticeSendRetryable) return err;
          throw err;
        }
      });
      sent += results.filter((r) => r === null).length;
      onPage?.(sent);
      const retry = results.find((r) => r !== null);
      if (retry) throw retry;
    }
  }

  /** One staff member (reminders); false when already sent. */
  async toStaff(phase: NoticePhase, staff: { id: string; email: string }, content: NoticeContent): Promise<boolean> {
    if (await isDelivered(this.deps.orm.em.fork(), phase.processId, phase.phase, 'staff', staff.id)) return false;
    const outcome = await this.send([staff.email], `${phase.processId}:${phase.phase}:${staff.id}`, content, phase);
    await this.record(phase, 'staff', staff.id, outcome, content);
    return true;
  }

  private async send(to: string[], idempotencyKey: string, content: NoticeContent, phase: NoticePhase) {
    if (!this.deps.email) throw new NoticeSendRetryable('no_email_provider');
    try {
      const { id } = await this.deps.email.send({
        to,
        subject: content.subject,
        text: content.text,
        html: content.html,
        idempotencyKey,
        tags: [
          { name: 'process', value: phase.processId.split(':')[0]! },
          { name: 'phase', value: phase.phase.replace(/[^A-Za-z0-9_-]/g, '_') },
        ],
      });
      return { email: 'sent', emailId: id };
    } catch (err) {
      if (!(err instanceof EmailSendError)) throw err;
      if (err.retryable) throw new NoticeSendRetryable(err.code);
      this.deps.logger.warn({ processId: phase.processId, phase: phase.phase, code: err.code }, 'notice email refused by the provider');
      return { email: `failed:${err.code}`, emailId: null };
    }
  }

  private async record(
    phase: NoticePhase,
    recipientKind: 'account' | 'staff',
    recipientId: string,
    outcome: { email: string; emailId: string | null },
    content: NoticeContent,
  ): Promise<void> {
    await this.deps.orm.em.fork().transactional(async (em) => {
      if (recipientKind === 'account' && content.inProduct) {
        await insertCustomerNotice(em, {
          processId: phase.processId,
          phase: phase.phase,
          accountId: recipientId,
          title: content.inProduct.title,
          body: content.inProduct.body,
          contentVersion: phase.contentVersion,
          shownFrom: phase.sentAt,
          shownUntil: content.inProduct.shownUntil,
        });
      }
      const recorded = await recordDelivery(em, { ...phase, recipientKind, recipientId, email: outcome.email, emailId: outcome.emailId });
      if (!recorded) return;
      await appendAudit(em, {
        actorType: 'system',
        accountId: recipientKind === 'account' ? recipientId : null,
        action: 'notice.sent',
        targetType: phase.processId.split(':')[0]!,
        targetId: phase.processId,
        details: {
          phase: phase.phase,
          recipientKind,
          ...(recipientKind === 'staff' ? { staffUserId: recipientId } : {}),
          contentVersion: phase.contentVersion,
          sentAt: phase.sentAt.toISOString(),
          email: outcome.email,
        },
      });
    });
  }
}
