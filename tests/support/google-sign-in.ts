import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { LocalOidcIssuer } from '../../simulator/oidc-issuer';
import { freshAddress } from './addresses';

export const GOOGLE_CLIENT = { GOOGLE_CLIENT_ID: 'massivesms-test', GOOGLE_CLIENT_SECRET: 'test-client-secret' } as const;

/** The local OpenID provider on a free loopback port, and the product env that points Google sign-in at it. */
export async function startLocalIssuer(): Promise<{ issuer: LocalOidcIssuer; env: Record<string, string> }> {
  const issuer = new LocalOidcIssuer();
  const url = await issuer.start();
  return { issuer, env: { GOOGLE_OIDC_ISSUER: url, ...GOOGLE_CLIENT } };
}

/** A browser's Google sign-in up to the issuer's redirect back: the flow cookie and the callback's path and query. */
export async function throughIssuer(app: Express, options: { email: string; accountName?: string; address?: string }) {
  const started = await request(app)
    .get('/v1/auth/google/start')
    .query({ loginHint: options.email, ...(options.accountName ? { accountName: options.accountName } : {}) })
    .set('X-Forwarded-For', options.address ?? freshAddress());
  expect(started.status, JSON.stringify(started.body)).toBe(302);
  const flowLine = ([] as string[]).concat(started.headers['set-cookie'] ?? []).find((l) => l.startsWith('__Host-mss_oidc='));
  expect(flowLine).toBeDefined();
  const authorize = new URL(started.headers.location as string);
  // The issuer's authorization endpoint answers at once with its redirect back to us (no consent page).
  const atIssuer = await fetch(authorize, { redirect: 'manual' });
  expect(atIssuer.status).toBe(302);
  const back = new URL(atIssuer.headers.get('location')!);
  return { authorize, flowLine: flowLine!, flowCookie: flowLine!.split(';')[0]!, callbackPath: `${back.pathname}${back.search}`, back };
}

/** Sends the browser back to our callback with its flow cookie. */
export function callback(app: Express, callbackPath: string, flowCookie: string | null, address = freshAddress()) {
  const req = request(app).get(callbackPath).set('X-Forwarded-For', address);
  return flowCookie ? req.set('Cookie', flowCookie) : req;
}

/** A whole Google sign-in as `email`: start, the issuer, our callback. */
export async function googleSignIn(app: Express, email: string, accountName?: string) {
  const flow = await throughIssuer(app, { email, ...(accountName ? { accountName } : {}) });
  return callback(app, flow.callbackPath, flow.flowCookie);
}

/** The holder session cookie a sign-in set, as a same-origin browser sends it back. */
export function sessionCookieOf(res: request.Response): Record<string, string> {
  const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((l) => l.startsWith('__Host-mss_session='));
  expect(line, JSON.stringify(res.headers['set-cookie'])).toBeDefined();
  return { Cookie: line!.split(';')[0]!, 'Sec-Fetch-Site': 'same-origin' };
}
