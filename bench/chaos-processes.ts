/**
 * The product's processes from the production build (`node dist/...`), each kept running the way an
 * orchestrator keeps a deployment running: whatever way one exits, it is started again a moment later.
 * The chaos bench signals them; an exit it did not cause is counted as a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const RESTART_DELAY_MS = 1_000;

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private expectingExit = false;
  private stopped = false;
  private readonly log: WriteStream;
  /** Exits the bench did not cause (a process that died by itself). */
  crashes: { at: number; how: string }[] = [];
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    logDir: string,
  ) {
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  }

  start(): void {
    this.starts += 1;
    this.expectingExit = false;
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', this.entry)], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      this.log.write(`\n[bench] ${this.name} exited (${signal ?? code})\n`);
      if (!this.expectingExit) this.crashes.push({ at: Date.now(), how: String(signal ?? code) });
      if (!this.stopped) setTimeout(() => !this.stopped && this.start(), RESTART_DELAY_MS);
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal`; resolves when this incarnation has exited (the supervisor then starts the next). */
  async signal(signal: 'SIGKILL' | 'SIGTERM', graceMs = 60_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.expectingExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const forced = setTimeout(() => {
      this.crashes.push({ at: Date.now(), how: `did not exit within ${graceMs} ms of ${signal}` });
      child.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(forced);
  }

  /** Stops for good: SIGTERM, SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.expectingExit = true;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(forced);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}
