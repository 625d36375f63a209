import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';

export interface FingerprintedBody {
  /** The same bytes, passed through unchanged. */
  stream: Readable;
  /** SHA-256 (hex) of every byte that went through; call once the stream has been read to its end. */
  digest(): string;
}

/**
 * A running SHA-256 over a streamed body, so an Idempotency-Key can be decided on the body's bytes
 * once they have all been read, without holding the body.
 */
export function fingerprintBody(source: Readable): FingerprintedBody {
  const hash = createHash('sha256');
  let ended = false;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      ended = true;
      done();
    },
  });
  // Errors of the source reach the reader through `tap`; a reader that gives up destroys the source.
  pipeline(source, tap, () => undefined);
  return {
    stream: tap,
    digest() {
      if (!ended) throw new Error('the body fingerprint is read before the body was');
      return hash.digest('hex');
    },
  };
}
