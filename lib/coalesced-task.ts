/**
 * Runs `task` on request, never twice at once: requests made while it runs fold into one more run
 * afterwards. For refreshing a summary after every event without one write per event.
 */
export class CoalescedTask {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves once no run is in progress or pending. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.task().catch(this.onError);
    } while (this.again);
    this.running = undefined;
  }
}
