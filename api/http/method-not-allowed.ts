import type { RequestHandler, Router } from 'express';
import { AppError } from '../../lib/errors';

interface KnownPath {
  pattern: RegExp;
  /** No `:param` in it: such a path names one resource and wins over a `:param` path it also matches. */
  literal: boolean;
  methods: Set<string>;
}

const knownPaths = new WeakMap<Router, KnownPath[]>();

/** Express path → a regex for that path: `:param` is one segment; Express also accepts one trailing slash. */
const toPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`, 'i');

/** Remembers that `router` answers `method` on `path`, for the 405 handler. */
export function recordRouteMethod(router: Router, method: string, path: string): void {
  const paths = knownPaths.get(router) ?? [];
  knownPaths.set(router, paths);
  let known = paths.find((p) => p.pattern.source === toPattern(path).source);
  if (!known) {
    known = { pattern: toPattern(path), literal: !path.includes(':'), methods: new Set() };
    paths.push(known);
  }
  known.methods.add(method.toUpperCase());
  if (method.toUpperCase() === 'GET') known.methods.add('HEAD');
}

/**
 * Whether `path` is a literal path of `router` (e.g. `/v1/contacts/imports`): a `:param` route that
 * also matches it (`/v1/contacts/:id`) must leave it alone, so a method the literal path lacks is a
 * 405 rather than the `:param` route's validation error.
 */
export function isLiteralKnownPath(router: Router, path: string): boolean {
  return (knownPaths.get(router) ?? []).some((known) => known.literal && known.pattern.test(path));
}

/** The methods a known path answers (a literal path's own, when one matches), or none for an unknown path. */
function allowedMethods(router: Router, path: string): string[] {
  const matching = (knownPaths.get(router) ?? []).filter((known) => known.pattern.test(path));
  const literal = matching.filter((known) => known.literal);
  const allowed = new Set<string>();
  for (const known of literal.length > 0 ? literal : matching) for (const m of known.methods) allowed.add(m);
  return [...allowed].sort();
}

/**
 * Mounted before `router`: OPTIONS on a known path answers 204 with the same `Allow` a 405 gives
 * (Express's own answer would also list the methods of a `:param` path that happens to match).
 */
export function optionsHandler(router: Router): RequestHandler {
  return (req, res, next) => {
    const allowed = req.method === 'OPTIONS' ? allowedMethods(router, req.path) : [];
    if (allowed.length === 0) {
      next();
      return;
    }
    res.setHeader('Allow', allowed.join(', '));
    res.status(204).end();
  };
}

/**
 * Mounted after `router`: a request that no route answered, on a path some route of `router` knows,
 * is 405 with `Allow` listing the methods that path answers. Unknown paths go on to the 404.
 */
export function methodNotAllowedHandler(router: Router): RequestHandler {
  return (req, res, next) => {
    const allowed = allowedMethods(router, req.path);
    if (allowed.length === 0) {
      next();
      return;
    }
    const allow = allowed.join(', ');
    res.setHeader('Allow', allow);
    next(new AppError('method_not_allowed', `${req.method} is not supported on ${req.path}; use ${allow}`));
  };
}
