import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { Logger } from 'pino';

export interface StreamedAnswer<T> {
  headers: Record<string, string>;
  /** Turns the records into the body's text, in order. */
  serialize: (records: AsyncIterable<T>) => AsyncIterable<string>;
  /** A client that reads nothing for this long is cut off. */
  stallMs: number;
  logger: Logger;
}

/**
 * Answers 200 with what `source` yields, with backpressure, however the download ends.
 *
 * The first record is read before anything is sent, so a failure to start (no connection free in
 * time, a data key destroyed) still answers as a problem; after it, headers are gone and a failure
 * cuts the stream (the client sees no clean end). `pipeline` settles in every case — the client read
 * to the end, disconnected, or the source failed — and the source is returned in the end, so its
 * `finally` (releasing its connection) always runs. A paused reader holds nothing past `stallMs`.
 */
export async function streamGenerated<T>(res: Response, source: AsyncGenerator<T>, answer: StreamedAnswer<T>): Promise<void> {
  try {
    const first = await source.next();
    res.status(200);
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.setTimeout(answer.stallMs, () => res.destroy());
    const records = (async function* () {
      if (first.done) return;
      yield first.value;
      yield* source;
    })();
    await pipeline(answer.serialize(records), res).catch((err: unknown) => {
      const e = err as { name?: string; code?: string };
      // A client going away (or cut off for stalling) is not our failure; anything else is.
      if (e.code !== 'ERR_STREAM_PREMATURE_CLOSE') answer.logger.error({ err: { type: e.name, code: e.code } }, 'streamed answer failed');
    });
  } finally {
    await source.return(undefined);
  }
}

/** One JSON document per line. */
export async function* ndjsonLines(records: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}

/** `head` as one JSON object whose last member, `key`, is the array of `items`, written as they come. */
export function jsonWithTrailingArray(head: Record<string, unknown>, key: string) {
  return async function* (items: AsyncIterable<unknown>): AsyncGenerator<string> {
    const opening = JSON.stringify({ ...head, [key]: [] });
    yield opening.slice(0, -2); // all but the closing `]}`
    let separator = '';
    for await (const item of items) {
      yield `${separator}${JSON.stringify(item)}`;
      separator = ',';
    }
    yield ']}';
  };
}
