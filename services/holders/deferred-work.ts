import type { Logger } from 'pino';

/**
 * Work done after the answer: a public link request (password reset, verification resend) answers
 * before anyone looks the email up, so the answer and its timing say nothing about whether the
 * email exists. Failures are logged (name and code only) and swallowed; idle() waits for what runs.
 */
export class DeferredWork {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<void>): void {
    const running = Promise.resolve()
      .then(work)
      // The error's name and code only: a database message can quote the email it was about.
      .catch((err: unknown) =>
        this.logger.warn(
          { what, error: err instanceof Error ? err.name : typeof err, code: (err as { code?: unknown } | null)?.code },
          'deferred work failed',
        ),
      )
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
