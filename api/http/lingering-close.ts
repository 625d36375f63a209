import type { Socket } from 'node:net';
import type { Request } from 'express';

/** How long, and how much more of an abandoned body, a connection is read (and discarded) after its answer. */
const LINGER_MS = 2_000;
const LINGER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * An answer sent before the body was read (refused early, timed out) ends with `Connection: close`.
 * Node then destroys the socket with the rest of the upload still arriving, and the kernel answers
 * that data with a reset that can wipe our answer from the client's receive buffer before it reads
 * it: the client sees EPIPE/ECONNRESET instead of the 422. Like a web server's lingering close, the
 * socket is half-closed after the answer and the rest of the body is read and discarded for a
 * bounded time and amount, then the socket goes.
 */
export function closeAfterAnswer(req: Request): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    let discarded = 0;
    const done = () => socket.destroy();
    const timer = setTimeout(done, LINGER_MS);
    timer.unref();
    socket.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_MAX_BYTES) done();
    });
    socket.once('end', done);
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  };
}
