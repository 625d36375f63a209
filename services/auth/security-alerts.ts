import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { appendAudit } from '../audit-log';
import { securityAlertEmail, securityAlertKey, type SecurityAlert } from '../email/templates/security-alert';
import { staffWithRoles } from '../notices/notice-store';

const ACTION: Record<SecurityAlert['kind'], string> = {
  sign_in_failures: 'security.sign_in_failures',
  staff_sign_in_failures: 'security.staff_sign_in_failures',
  totp_failures: 'security.totp_failures',
};

/**
 * Tells security staff that one user's sign-in is under attack: an audit entry (always) and an
 * email to every active security staff user (when an email provider is configured). Raised once
 * per window, when a budget is first reached.
 */
export class SecurityAlerts {
  constructor(private readonly deps: { email: EmailSender | null; logger: Logger }) {}

  async raise(em: EntityManager, alert: SecurityAlert): Promise<void> {
    await em.transactional((tem) =>
      appendAudit(tem, {
        actorType: 'system',
        accountId: alert.accountId,
        action: ACTION[alert.kind],
        targetType: alert.kind === 'sign_in_failures' ? 'user' : 'staff_user',
        targetId: alert.userId,
        details: { failures: alert.failures, windowMinutes: alert.windowMinutes },
      }),
    );
    const recipients = await staffWithRoles(em, ['security']);
    if (!this.deps.email || recipients.length === 0) {
      this.deps.logger.warn(
        { kind: alert.kind, userId: alert.userId, recipients: recipients.length },
        'security alert audited, not emailed',
      );
      return;
    }
    try {
      await this.deps.email.send({
        to: recipients.map((r) => r.email),
        ...securityAlertEmail(alert),
        idempotencyKey: securityAlertKey(alert),
        tags: [{ name: 'kind', value: `security_${alert.kind}` }],
      });
    } catch (err) {
      if (!(err instanceof EmailSendError)) throw err;
      this.deps.logger.warn(
        { kind: alert.kind, userId: alert.userId, code: err.code, statusCode: err.statusCode },
        'security alert email not sent',
      );
    }
  }
}
