import type { Logger } from 'pino';

export interface WaitAtStart {
  /** How long a process start waits for a dependency before it gives up (and exits, to be restarted). */
  waitMs: number;
  logger: Logger;
  /** Time and sleep, for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5_000;

/**
 * Runs `attempt` until it succeeds, while `isTransient` says its failure is a dependency that is
 * down (the database restarting, Temporal not up yet), pausing 0.25 s doubling to 5 s, for at most
 * `waitMs`. A process started during an outage then comes up when the dependency does, instead of
 * exiting at once and being restarted in a loop; any other failure is thrown at once.
 */
export async function waitAtStart<T>(
  what: string,
  attempt: () => Promise<T>,
  isTransient: (err: unknown) => boolean,
  options: WaitAtStart,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.waitMs;
  let pause = FIRST_PAUSE_MS;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || now() + pause > deadline) throw err;
      if (tries === 1 || tries % 10 === 0) {
        options.logger.warn(
          { dependency: what, tries, errorType: err instanceof Error ? err.name : typeof err },
          'waiting for a dependency to start',
        );
      }
      await sleep(pause);
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }
}
