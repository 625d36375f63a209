/** A failure the CLI reports as one line on stderr, exiting 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** An RFC 9457 problem the API answered: its detail is the line shown. */
export class ApiProblemError extends CliError {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
  ) {
    super(`${detail} (HTTP ${status})`);
    this.name = 'ApiProblemError';
  }
}
