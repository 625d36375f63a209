import type { AppConfig } from '../../config/env';
import type { EmailSender } from './email-sender';
import { ResendEmailSender } from './resend/resend-email-sender';

/** One email send, end to end. */
export const EMAIL_SEND_TIMEOUT_MS = 10_000;

/** The configured email provider, or null when none is (no RESEND_API_KEY): callers keep the email owed and say so. */
export function createEmailSender(config: Pick<AppConfig, 'RESEND_API_KEY' | 'RESEND_BASE_URL' | 'EMAIL_FROM'>): EmailSender | null {
  if (!config.RESEND_API_KEY) return null;
  return new ResendEmailSender({
    apiKey: config.RESEND_API_KEY,
    baseUrl: config.RESEND_BASE_URL,
    from: config.EMAIL_FROM,
    timeoutMs: EMAIL_SEND_TIMEOUT_MS,
  });
}
