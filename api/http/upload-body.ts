import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Request } from 'express';
import { AppError } from '../../lib/errors';

export interface UploadTimeouts {
  /** The whole body must arrive within this. */
  totalMs: number;
  /** The sender may pause this long while the server is ready for more. */
  idleMs: number;
}

function decoderFor(req: Request): Transform {
  const encoding = (req.get('Content-Encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return new PassThrough();
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  throw new AppError('unsupported_media_type', 'uploads accept Content-Encoding gzip or identity only');
}

/**
 * The request body as a stream of decoded bytes (Content-Encoding gzip is undone), bounded in time.
 * Every failure reaches the reader as an AppError with a fixed detail, never the body's bytes. The
 * request itself is never destroyed here, so an error can still be answered; when the reader stops
 * early the request is simply no longer read (the error handler then closes the connection).
 * The idle clock runs only while the server wants more bytes, so a slow database is not blamed on
 * the sender.
 */
export function uploadBody(req: Request, timeouts: UploadTimeouts): Readable {
  const decoder = decoderFor(req);
  const out = new PassThrough();
  let idle: NodeJS.Timeout | undefined;
  let done = false;

  const stopIdle = () => clearTimeout(idle);
  const startIdle = () => {
    stopIdle();
    idle = setTimeout(
      () => fail(new AppError('request_timeout', `the upload sent nothing for ${timeouts.idleMs / 1000} seconds`)),
      timeouts.idleMs,
    );
  };
  const total = setTimeout(
    () => fail(new AppError('request_timeout', `the upload took longer than ${timeouts.totalMs / 1000} seconds`)),
    timeouts.totalMs,
  );

  const onData = (chunk: Buffer) => {
    if (decoder.write(chunk)) return startIdle();
    stopIdle();
    req.pause();
  };
  const onDrain = () => {
    if (done) return;
    startIdle();
    req.resume();
  };
  const onEnd = () => {
    stopIdle();
    decoder.end();
  };
  const onAborted = () => fail(new AppError('malformed_body', 'the upload ended before the body was complete'));

  function cleanup() {
    done = true;
    clearTimeout(total);
    stopIdle();
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onAborted);
    req.off('close', onClose);
    req.pause();
  }
  function fail(err: AppError) {
    if (done) return;
    cleanup();
    decoder.destroy();
    out.destroy(err);
  }
  function onClose() {
    if (!req.complete) onAborted();
  }

  decoder.on('drain', onDrain);
  decoder.on('error', () => fail(new AppError('malformed_body', 'the body is not valid for its Content-Encoding (gzip)')));
  decoder.pipe(out);
  // The reader may attach (pipeline) after an early failure; it still sees the error via
  // `out.errored`, so the event itself must not crash the process meanwhile.
  out.on('error', () => undefined);
  out.on('finish', cleanup);
  out.on('close', () => {
    // The reader gave up (or finished): stop reading the request and free the decoder.
    if (!done) {
      cleanup();
      decoder.destroy();
    }
  });

  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onAborted);
  req.on('close', onClose);
  startIdle();
  req.resume();
  return out;
}
