import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { startHarness, type Harness } from './support/harness';
import { call } from './support/http-client';

let h: Harness;
let server: Server;
let baseUrl: string;
const MAX_IN_FLIGHT = 2;

beforeAll(async () => {
  h = await startHarness();
  const app = createApp({ ...h.deps, config: { ...h.config, API_MAX_IN_FLIGHT: MAX_IN_FLIGHT }, temporal: h.temporal });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

/** A request held in flight: headers taken (100 Continue), its body not sent yet. */
async function holdRequest(): Promise<Socket> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('100 Continue')) resolve();
    });
    socket.once('error', reject);
    socket.write(
      'POST /v1/accounts HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    );
  });
  return socket;
}

describe('load shedding by requests in flight', () => {
  it('answers 503 + Retry-After at once beyond the limit, keeps probes answering, and admits again when load falls', async () => {
    const held = [await holdRequest(), await holdRequest()];
    const shed = await call(baseUrl, 'GET', '/v1/contacts', { auth: 'msk_whatever' });
    expect(shed.status).toBe(503);
    expect(shed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.body.detail).toMatch(/at capacity/);
    expect((await call(baseUrl, 'GET', '/healthz')).status).toBe(200);

    const released = held.map((s) => new Promise((resolve) => s.once('close', resolve)));
    for (const s of held) s.destroy();
    await Promise.all(released);
    // Admitted again: authentication runs (and refuses the made-up key) instead of the shedder answering.
    let admitted = await call(baseUrl, 'GET', '/v1/contacts', { auth: 'msk_whatever' });
    for (let i = 0; i < 50 && admitted.status === 503; i++) admitted = await call(baseUrl, 'GET', '/v1/contacts', { auth: 'msk_whatever' });
    expect(admitted.status).toBe(401);
  });
});
