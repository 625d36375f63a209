import type { Server, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Whether this API process was told to stop (SIGTERM): /readyz then fails and responses close their connections. */
export interface DrainState {
  draining: boolean;
  /** Responses being worked on: those whose headers are not out yet at SIGTERM still get `Connection: close`. */
  inFlight: Set<ServerResponse>;
}

export function newDrainState(): DrainState {
  return { draining: false, inFlight: new Set() };
}

/**
 * While draining, every response carries `Connection: close`: a keep-alive client learns with its
 * answer that this connection ends, and opens its next request elsewhere instead of racing the close.
 */
export function closeConnectionsWhileDraining(state: DrainState): RequestHandler {
  return (_req, res, next) => {
    if (state.draining) res.setHeader('Connection', 'close');
    else {
      state.inFlight.add(res);
      res.once('close', () => state.inFlight.delete(res));
    }
    next();
  };
}

/**
 * Stops accepting connections, closes the idle keep-alive ones now and lets in-flight requests
 * finish for at most `graceMs` (after which the rest are cut). Resolves true when every connection
 * ended by itself.
 */
export function drainServer(server: Server, state: DrainState, graceMs: number): Promise<boolean> {
  state.draining = true;
  for (const res of state.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  state.inFlight.clear();
  return new Promise((resolve) => {
    const cut = setTimeout(() => {
      server.closeAllConnections();
      resolve(false);
    }, graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}
