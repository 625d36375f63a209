import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECT_TIMEOUT_CODE, nodeHttpFetch } from '../providers/sms/node-http-fetch';

/** The carrier SDKs' transport (Telnyx's `fetch` option): what it answers, and how it fails. */
let server: Server | undefined;
const received: { method: string; url: string; body: string; contentType: string | undefined }[] = [];

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  received.length = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', body, contentType: req.headers['content-type'] });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('nodeHttpFetch', () => {
  it('sends method, headers and body, and answers a standard Response with status, headers and body', async () => {
    const url = await listen((_req, res, body) => {
      res.writeHead(202, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
      res.end(JSON.stringify({ echoed: JSON.parse(body) as unknown }));
    });
    const res = await nodeHttpFetch(`${url}/v2/messages?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ text: 'hé' }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('r-1');
    expect(await res.json()).toEqual({ echoed: { text: 'hé' } });
    expect(received).toEqual([{ method: 'POST', url: '/v2/messages?x=1', body: '{"text":"hé"}', contentType: 'application/json' }]);
  });

  it('answers a 204 without a body', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const res = await nodeHttpFetch(`${url}/x`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('an abort before the connection is made rejects with CONNECT_TIMEOUT (nothing written), the server sees no request', async () => {
    const url = await listen((_req, res) => res.end('late'));
    const controller = new AbortController();
    const pending = nodeHttpFetch(`${url}/x`, { method: 'POST', body: '{}', signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: CONNECT_TIMEOUT_CODE });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(received).toEqual([]);
  });

  it('an abort after the request was written rejects with an AbortError (the SDK’s timeout: ambiguous)', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const url = await listen(() => arrived()); // never answers
    const controller = new AbortController();
    const pending = nodeHttpFetch(`${url}/x`, { method: 'POST', body: '{"a":1}', signal: controller.signal });
    await arrival;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(received.map((r) => r.body)).toEqual(['{"a":1}']);
  });

  it('a refused connection rejects with ECONNREFUSED; a reset after the request rejects with ECONNRESET', async () => {
    const url = await listen((req) => req.socket.destroy());
    await expect(nodeHttpFetch(`${url}/x`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    server!.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(nodeHttpFetch(`${url}/x`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
