import { AppError } from '../../lib/errors';

/** How long a refused uploader is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 10;

/**
 * At most `max` uploads stream at once in this process, each on a connection of its own pool, so
 * slow senders can never take the connections every other request needs. A request beyond the
 * limit is refused at once (503 + Retry-After) instead of queueing behind uploads of unknown length.
 */
export class UploadSlots {
  private busy = 0;

  constructor(readonly max: number) {}

  /** Takes a slot or refuses; the returned function gives it back (once). */
  take(): () => void {
    if (this.busy >= this.max) {
      throw new AppError('unavailable', `${this.max} uploads are already in progress; retry later`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    this.busy += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy -= 1;
    };
  }
}
