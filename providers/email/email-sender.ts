/** One transactional email. `idempotencyKey` comes from business ids, so a retried send is sent once. */
export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string;
  tags?: { name: string; value: string }[];
}

/**
 * A send that did not go out. `retryable`: the provider was unreachable, timed out, rate-limited or
 * failed on its side (same key again is safe); otherwise the request itself was refused.
 * `code` is the provider's stable error name, never the recipient or the message text.
 */
export class EmailSendError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number | null,
    readonly retryable: boolean,
  ) {
    super(`email not sent: ${code}${statusCode === null ? '' : ` (${statusCode})`}`);
    this.name = 'EmailSendError';
  }
}

export interface EmailSender {
  /** Resolves with the provider's id for the email; rejects with EmailSendError. */
  send(message: EmailMessage): Promise<{ id: string }>;
}
