import { Resend } from 'resend';
import { EmailSendError, type EmailMessage, type EmailSender } from '../email-sender';

export interface ResendEmailSenderOptions {
  apiKey: string;
  /** Unset: Resend's API. No trailing slash (the SDK appends paths to it). */
  baseUrl?: string;
  from: string;
  timeoutMs: number;
}

/** 409 concurrent_idempotent_requests: the same key is still being processed; trying again later is right. */
const RETRYABLE_NAMES = new Set(['rate_limit_exceeded', 'concurrent_idempotent_requests', 'application_error', 'internal_server_error']);

/**
 * Resend through its official SDK. The SDK never throws: it answers `{data, error}`, and a refused
 * connection and a timeout both come back as `application_error` with no status code.
 */
export class ResendEmailSender implements EmailSender {
  private readonly client: Resend;

  constructor(private readonly options: ResendEmailSenderOptions) {
    this.client = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : undefined);
  }

  async send(message: EmailMessage): Promise<{ id: string }> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const { data, error } = await this.client.emails.send(
      {
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.tags ? { tags: message.tags } : {}),
      },
      { idempotencyKey: message.idempotencyKey, signal },
    );
    if (error) {
      if (signal.aborted) throw new EmailSendError('timeout', null, true);
      const statusCode = typeof error.statusCode === 'number' ? error.statusCode : null;
      const name = typeof error.name === 'string' ? error.name : 'unknown_error';
      const retryable = statusCode === null || statusCode === 429 || statusCode >= 500 || RETRYABLE_NAMES.has(name);
      throw new EmailSendError(statusCode === null ? 'unreachable' : name, statusCode, retryable);
    }
    if (!data?.id) throw new EmailSendError('no_email_id', null, true);
    return { id: data.id };
  }
}
