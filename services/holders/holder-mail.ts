import type { Logger } from 'pino';
import { EmailSendError, type EmailSender } from '../../providers/email/email-sender';
import { holderLinkEmail, type HolderLinkEmailKind } from '../email/templates/holder-links';
import type { IssuedEmailLink } from './email-links';

export interface HolderMailDeps {
  /** Null when no email provider is configured (a dev setup): links are then not sent. */
  email: EmailSender | null;
  apiBaseUrl: string;
  logger: Logger;
}

/**
 * Sends a holder's link email. A failure is logged (its code only) and swallowed: the caller's
 * answer must not change with it (sign-up answers the same whether the email exists or not), and
 * the holder can ask for a new link.
 */
export async function sendHolderLink(
  deps: HolderMailDeps,
  to: string,
  kind: HolderLinkEmailKind,
  link: IssuedEmailLink,
  accountName: string,
): Promise<boolean> {
  if (!deps.email) return false;
  const body = holderLinkEmail({ kind, token: link.token, expiresAt: link.expiresAt, apiBaseUrl: deps.apiBaseUrl, accountName });
  try {
    await deps.email.send({ to: [to], ...body, idempotencyKey: `holder-link:${link.id}`, tags: [{ name: 'kind', value: kind }] });
    return true;
  } catch (err) {
    if (!(err instanceof EmailSendError)) throw err;
    deps.logger.warn({ linkId: link.id, kind, code: err.code, statusCode: err.statusCode }, 'holder link email not sent');
    return false;
  }
}

/** Sends a holder a notice without a link (the email-change notice to the old address); failures as in sendHolderLink. */
export async function sendHolderNotice(
  deps: HolderMailDeps,
  to: string,
  body: { subject: string; text: string; html: string },
  kind: string,
  idempotencyKey: string,
): Promise<boolean> {
  if (!deps.email) return false;
  try {
    await deps.email.send({ to: [to], ...body, idempotencyKey, tags: [{ name: 'kind', value: kind }] });
    return true;
  } catch (err) {
    if (!(err instanceof EmailSendError)) throw err;
    deps.logger.warn({ kind, code: err.code, statusCode: err.statusCode }, 'holder notice email not sent');
    return false;
  }
}
