import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../../lib/errors';
import { uploadBody, type UploadTimeouts } from './upload-body';

/** Form fields other than the file are not used; these bounds keep busboy from buffering much of them. */
const MULTIPART_LIMITS = { files: 1, fields: 20, fieldSize: 1024, parts: 40, headerPairs: 20 };

const malformedMultipart = () => new AppError('malformed_body', 'the multipart body is malformed');

/**
 * The CSV bytes of an upload: the (decoded) body itself for text/csv, the first file part for
 * multipart. Errors reach the reader as AppErrors whose detail never quotes the body.
 */
export function csvSource(req: Request, timeouts: UploadTimeouts): Promise<Readable> {
  const body = uploadBody(req, timeouts);
  if (!req.is('multipart/form-data')) return Promise.resolve(body);
  return new Promise((resolve, reject) => {
    let file: Readable | undefined;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: MULTIPART_LIMITS });
    } catch {
      body.destroy();
      reject(malformedMultipart());
      return;
    }
    const fail = (err: AppError) => {
      body.destroy();
      if (file) file.destroy(err);
      else reject(err);
    };
    parser.on('file', (_field, stream) => {
      // busboy destroys the part with its own error text on a broken form: the reader gets ours.
      const part = new PassThrough();
      part.on('error', () => undefined); // seen by the reader through `part.errored` (see uploadBody)
      stream.on('error', () => part.destroy(malformedMultipart()));
      stream.pipe(part);
      file = part;
      // The reader stopping early (its own error) stops the upload too.
      part.on('close', () => {
        if (!part.readableEnded) {
          stream.destroy();
          body.destroy();
        }
      });
      resolve(part);
    });
    parser.on('error', () => fail(malformedMultipart()));
    parser.on('close', () => {
      if (!file) reject(AppError.invalid('file', 'the multipart body has no file part'));
    });
    body.on('error', (err) => fail(err instanceof AppError ? err : malformedMultipart()));
    body.pipe(parser);
  });
}
