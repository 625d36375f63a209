import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay in front of a real server (PostgreSQL, Temporal): `cut()` makes that server
 * vanish for whoever connects through the relay (listener closed, every open connection reset, new
 * ones refused, as when the host goes down) and `restore()` brings it back on the same port. The
 * real server behind keeps its state, so a test sees exactly what a restart-free outage does.
 */
export interface TcpProxy {
  port: number;
  /** The target's address with the relay's port: `host:port`. */
  address: string;
  /** Opened connections since start, for a test to see that clients reconnected. */
  connections(): number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let opened = 0;
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const s = createServer((client) => {
      opened += 1;
      const upstream = connect(targetPort, targetHost);
      open.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        open.delete(client);
        open.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };

  const cut = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // A reset, as a crashed host's kernel (or a firewall) would answer: no orderly goodbye.
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
    await closed;
  };

  await listen();
  return {
    port,
    address: `127.0.0.1:${port}`,
    connections: () => opened,
    cut,
    restore: listen,
    close: cut,
  };
}
