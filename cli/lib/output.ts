/** Where a command's answer goes: JSON for scripts (--json) or lines for people on stdout; progress and errors on stderr. */
export class Output {
  private progressShown = false;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  ) {}

  /** The command's result: the value as JSON with --json, otherwise what `human` makes of it. */
  result<T>(value: T, human: (value: T) => string): void {
    this.endProgress();
    this.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
  }

  /** A progress line: rewritten in place on a terminal, one line per change otherwise; never on stdout. */
  progress(line: string): void {
    if (this.stderr.isTTY) {
      this.stderr.write(`\r\x1b[2K${line}`);
      this.progressShown = true;
    } else {
      this.stderr.write(`${line}\n`);
    }
  }

  endProgress(): void {
    if (this.progressShown) this.stderr.write('\n');
    this.progressShown = false;
  }

  error(message: string): void {
    this.endProgress();
    this.stderr.write(`error: ${message}\n`);
  }
}
