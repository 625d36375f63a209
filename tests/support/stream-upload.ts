import { request } from 'node:http';
import { Readable } from 'node:stream';

export interface StreamedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * `total` bytes made of `head` then `unit` repeated (the last one cut to fit), then `tail`,
 * generated as read.
 */
export function generatedBody(head: string, unit: string, total: number, tail = ''): Readable {
  const block = Buffer.from(unit.repeat(Math.ceil(65_536 / unit.length)));
  let sent = 0;
  return new Readable({
    read() {
      if (sent === 0 && head.length > 0) {
        sent += head.length;
        this.push(Buffer.from(head));
        return;
      }
      const left = total - sent;
      if (left <= 0) {
        if (tail.length > 0 && sent === total) {
          sent += tail.length;
          this.push(Buffer.from(tail));
          return;
        }
        this.push(null);
        return;
      }
      const piece = left >= block.length ? block : block.subarray(0, left);
      sent += piece.length;
      this.push(piece);
    },
  });
}

/**
 * POSTs a streamed body and resolves with the answer as soon as it arrives: a server that refuses
 * early stops reading, so the rest of the upload is abandoned rather than awaited.
 */
export function streamUpload(url: string, headers: Record<string, string>, body: Readable, length: number): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        body.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      });
    });
    // A refusal closes the connection while we still write: only an error with no answer is a failure.
    req.on('error', (err) => {
      body.destroy();
      reject(err);
    });
    body.pipe(req);
  });
}
