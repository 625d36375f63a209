import { createServer } from 'node:net';

/** A loopback port that was free a moment ago (bound, then released): for a child to listen on, or to find nothing listening. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
