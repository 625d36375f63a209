import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../../lib/errors';

/** The CSV bytes of an upload: the body itself for text/csv, the first file part for multipart. */
export function csvSource(req: Request): Promise<Readable> {
  if (!req.is('multipart/form-data')) return Promise.resolve(req);
  return new Promise((resolve, reject) => {
    const parser = busboy({ headers: req.headers, limits: { files: 1 } });
    let found = false;
    parser.on('file', (_field, stream) => {
      found = true;
      resolve(stream);
    });
    parser.on('error', (err) => reject(new AppError('malformed_body', `the multipart body is malformed: ${(err as Error).message}`)));
    parser.on('close', () => {
      if (!found) reject(AppError.invalid('file', 'the multipart body has no file part'));
    });
    req.pipe(parser);
  });
}
