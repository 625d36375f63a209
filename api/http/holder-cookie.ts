import type { Request, Response } from 'express';
import { AppError } from '../../lib/errors';
import { OIDC_FLOW_TTL_MS } from '../../services/holders/oidc-flows';
import { HOLDER_COOKIE_LOOPBACK, HOLDER_COOKIE_SECURE, HOLDER_SESSION_ABSOLUTE_MS } from '../../services/holders/holder-sessions';

export interface HolderCookiePolicy {
  name: string;
  secure: boolean;
  /** The origin browsers send in Origin for our own pages (PUBLIC_BASE_URL's). */
  origin: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Secure with the `__Host-` prefix everywhere but a development server on loopback over plain http. */
export function holderCookiePolicy(config: { NODE_ENV: string; PUBLIC_BASE_URL: string }): HolderCookiePolicy {
  const base = new URL(config.PUBLIC_BASE_URL);
  const loopbackDev = config.NODE_ENV === 'development' && base.protocol === 'http:' && LOOPBACK_HOSTS.has(base.hostname);
  return { name: loopbackDev ? HOLDER_COOKIE_LOOPBACK : HOLDER_COOKIE_SECURE, secure: !loopbackDev, origin: base.origin };
}

/** A cookie's value from the Cookie header, or null. */
function cookieValue(req: Request, name: string): string | null {
  const header = req.get('Cookie');
  if (!header || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** The session token from the Cookie header, or null. */
export const holderCookieToken = (req: Request, policy: HolderCookiePolicy): string | null => cookieValue(req, policy.name);

/** The Google sign-in in progress (services/holders/oidc-flows.ts): same prefix rule as the session cookie, 10 minutes. */
const oidcFlowCookieName = (policy: HolderCookiePolicy) => (policy.secure ? '__Host-mss_oidc' : 'mss_oidc');

export const oidcFlowCookie = (req: Request, policy: HolderCookiePolicy): string | null => cookieValue(req, oidcFlowCookieName(policy));

export function setOidcFlowCookie(res: Response, policy: HolderCookiePolicy, value: string): void {
  res.cookie(oidcFlowCookieName(policy), value, {
    httpOnly: true,
    secure: policy.secure,
    sameSite: 'lax',
    path: '/',
    maxAge: OIDC_FLOW_TTL_MS,
  });
}

export function clearOidcFlowCookie(res: Response, policy: HolderCookiePolicy): void {
  res.clearCookie(oidcFlowCookieName(policy), { httpOnly: true, secure: policy.secure, sameSite: 'lax', path: '/' });
}

export function setHolderCookie(res: Response, policy: HolderCookiePolicy, token: string): void {
  res.cookie(policy.name, token, { httpOnly: true, secure: policy.secure, sameSite: 'lax', path: '/', maxAge: HOLDER_SESSION_ABSOLUTE_MS });
}

export function clearHolderCookie(res: Response, policy: HolderCookiePolicy): void {
  res.clearCookie(policy.name, { httpOnly: true, secure: policy.secure, sameSite: 'lax', path: '/' });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie-authenticated requests (no token to forge, nothing for pages to carry):
 * a mutation is accepted only when the browser says it came from our own origin: `Sec-Fetch-Site:
 * same-origin` when the browser sends Fetch Metadata, otherwise an `Origin` equal to ours. A
 * request with neither is refused: a client that sends no browser headers uses an API key.
 * SameSite=Lax on the cookie is the second layer.
 */
export function requireSameOrigin(req: Request, policy: HolderCookiePolicy): void {
  if (SAFE_METHODS.has(req.method)) return;
  const site = req.get('Sec-Fetch-Site');
  const origin = req.get('Origin');
  const ok = site !== undefined ? site === 'same-origin' && (origin === undefined || origin === policy.origin) : origin === policy.origin;
  if (!ok) {
    throw new AppError(
      'forbidden',
      'a cookie-authenticated change must come from this site (Sec-Fetch-Site: same-origin, or an Origin equal to ours); other clients use an API key',
    );
  }
}
