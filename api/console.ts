import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';

/** Where the console's pages live: the SPA's own paths, all answered by its index.html. */
export const CONSOLE_BASE = '/app';

/** `npm run build:web` writes dist/web; this file runs from api/ under tsx and from dist/api when built. */
export function defaultConsoleDir(): string {
  const root = dirname(__dirname);
  return basename(root) === 'dist' ? join(root, 'web') : join(root, 'dist', 'web');
}

/**
 * Nothing inline, nothing from elsewhere: the built console is one module script and one stylesheet
 * from our origin, and it talks only to our own API. Stripe Checkout is a top-level navigation, which
 * CSP does not restrict.
 */
const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    manifestSrc: ["'self'"],
  },
};

/**
 * Serves the built console (web/, `npm run build:web`) from `dir`: hashed assets cached for a year,
 * every other path under /app answered by index.html (never cached) so the client router takes over.
 * Without a build the console's paths answer 404 problems like any unknown path.
 */
export function mountConsole(app: Express, dir: string): void {
  const indexFile = join(dir, 'index.html');
  // Read per request (a small file): `npm run dev` rebuilds the console while the API runs.
  const index = (): Buffer | null => (existsSync(indexFile) ? readFileSync(indexFile) : null);
  const headers = helmet({ contentSecurityPolicy: CONSOLE_CSP, crossOriginEmbedderPolicy: false });
  app.get('/', (_req, res) => res.redirect(302, `${CONSOLE_BASE}/`));
  app.use(`${CONSOLE_BASE}/assets`, headers, express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }));
  const page: RequestHandler = (req, res, next) => {
    const body = req.path.startsWith(`${CONSOLE_BASE}/assets/`) ? null : index(); // a missing asset is a 404, not the page
    if (!body) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(body);
  };
  // One path per route: tools that read the router's routes (tests/staff-roles.test.ts) expect strings.
  app.get(CONSOLE_BASE, headers, page);
  app.get(`${CONSOLE_BASE}/*path`, headers, page);
}
