import type { Output } from './output';

export interface PollOptions<S> {
  /** Reads the status once (e.g. a GET of the process's status endpoint, which answers its workflow's query). */
  read: () => Promise<S>;
  isDone: (status: S) => boolean;
  /** One line of progress, e.g. "deleting: 4/12 tables, 1,204,000 rows". */
  progress: (status: S) => string;
  /** The one line printed at the end, e.g. "account deleted: 2,000,000 rows in 14 tables, certificate emailed". */
  summary: (status: S) => string;
  output: Output;
  intervalMs?: number;
  /** Stops waiting (the process goes on server-side) after this long; the last status is still returned. */
  timeoutMs?: number;
  /** Injected by tests. */
  wait?: (ms: number) => Promise<void>;
  clock?: () => number;
}

/**
 * For long operations (terminations, deletions, exports): polls a status until it is done, showing
 * progress on stderr as it changes, then prints the one-line summary (or, with --json, the final
 * status) and returns it. A timeout ends the waiting, not the operation: the summary says so.
 */
export async function pollUntilDone<S>(options: PollOptions<S>): Promise<{ status: S; done: boolean }> {
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = options.clock ?? Date.now;
  const deadline = clock() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
  let lastLine: string | undefined;
  for (;;) {
    const status = await options.read();
    const done = options.isDone(status);
    if (done || clock() >= deadline) {
      options.output.result(status, (s) => (done ? options.summary(s) : `still running (stopped waiting): ${options.progress(s)}`));
      return { status, done };
    }
    const line = options.progress(status);
    if (line !== lastLine) options.output.progress(line);
    lastLine = line;
    await wait(options.intervalMs ?? 1000);
  }
}
