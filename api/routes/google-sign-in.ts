import { AppError } from '../../lib/errors';
import { googleIdentities } from '../../services/holders/google-identities';
import type { GoogleSignIn } from '../../services/holders/google-sign-in';
import { defineRoute, type RouteHost } from '../http/define-route';
import { clearOidcFlowCookie, oidcFlowCookie, setHolderCookie, setOidcFlowCookie, type HolderCookiePolicy } from '../http/holder-cookie';
import {
  GoogleCallbackQuery,
  GoogleLinkBody,
  GoogleLinkRequiredSchema,
  GoogleSignedInSchema,
  GoogleSignedUpSchema,
  GoogleStartQuery,
  GoogleUnlinkedSchema,
} from '../schemas/google-sign-in';

const NO_STORE = { 'Cache-Control': 'no-store' };
const DEFAULT_ACCOUNT_NAME = 'My account';

/** Google sign-in's routes; without GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (google null) the public ones answer 404. */
export function googleSignInRoutes(
  host: RouteHost,
  google: { signIn: GoogleSignIn; redirectUrl: string } | null,
  cookie: HolderCookiePolicy,
): void {
  const configured = () => {
    if (!google) throw new AppError('not_found', 'Google sign-in is not configured on this deployment');
    return google;
  };

  defineRoute(host, {
    method: 'get',
    path: '/v1/auth/google/start',
    summary:
      "Google sign-in: redirects to Google's authorization page (code + PKCE S256, state, nonce); a 10-minute flow cookie goes along",
    tag: 'Accounts',
    auth: 'public',
    query: GoogleStartQuery,
    responses: { 302: { description: 'To the issuer (Location); Set-Cookie carries the signed flow cookie' } },
    problems: [503],
    handler: async ({ em, query, res }) => {
      const started = await configured().signIn.start(em, {
        accountName: query.accountName ?? DEFAULT_ACCOUNT_NAME,
        loginHint: query.loginHint,
      });
      setOidcFlowCookie(res, cookie, started.flowCookie);
      return { status: 302, headers: { ...NO_STORE, Location: started.location } };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/auth/google/callback',
    summary:
      'Where Google sends the browser back: signs in a linked Google identity (200), signs up a new verified email (201), or asks an existing holder for the password to link (202)',
    tag: 'Accounts',
    auth: 'public',
    query: GoogleCallbackQuery,
    responses: {
      200: { description: 'Signed in (Set-Cookie carries the session)', schema: GoogleSignedInSchema },
      201: { description: 'Account created and signed in; its first API key is shown once', schema: GoogleSignedUpSchema },
      202: {
        description: 'The email belongs to a holder: prove the password with POST /v1/auth/google/link',
        schema: GoogleLinkRequiredSchema,
      },
    },
    problems: [503],
    handler: async ({ em, req, res }) => {
      const { signIn, redirectUrl } = configured();
      const callbackUrl = new URL(redirectUrl);
      callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      const flow = oidcFlowCookie(req, cookie);
      clearOidcFlowCookie(res, cookie);
      const result = await signIn.callback(em, flow, callbackUrl, { address: req.ip ?? 'unknown', userAgent: req.get('User-Agent') });
      if (result.outcome === 'link_required') {
        return {
          status: 202,
          headers: NO_STORE,
          body: {
            outcome: result.outcome,
            linkToken: result.linkToken,
            expiresAt: result.expiresAt.toISOString(),
            detail:
              'this email already has an account: send your password with the link token to POST /v1/auth/google/link to add Google sign-in to it',
          },
        };
      }
      if (result.signedIn.cookie) setHolderCookie(res, cookie, result.signedIn.cookie.token);
      return result.outcome === 'signed_in'
        ? { status: 200, headers: NO_STORE, body: { outcome: result.outcome, ...result.signedIn.body } }
        : { status: 201, headers: NO_STORE, body: { outcome: result.outcome, ...result.signedIn.body, ...result.created } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/auth/google/link',
    summary: "Link Google sign-in to your existing identity by proving your password once (the callback's link token), then sign in",
    tag: 'Accounts',
    auth: 'public',
    body: GoogleLinkBody,
    responses: { 200: { description: 'Linked and signed in (Set-Cookie carries the session)', schema: GoogleSignedInSchema } },
    handler: async ({ em, body, req, res }) => {
      const signedIn = await configured().signIn.completeLink(em, body, { address: req.ip ?? 'unknown', userAgent: req.get('User-Agent') });
      if (signedIn.cookie) setHolderCookie(res, cookie, signedIn.cookie.token);
      return { status: 200, headers: NO_STORE, body: { outcome: 'signed_in', ...signedIn.body } };
    },
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/auth/google',
    summary: 'Unlink Google sign-in from your identity (refused while you have no password: you could not sign in any more)',
    tag: 'Accounts',
    auth: { holder: true },
    responses: { 200: { description: 'Unlinked', schema: GoogleUnlinkedSchema } },
    handler: async ({ em, actor }) => {
      await googleIdentities.unlink(em, actor.userId, actor.accountId);
      return { status: 200, body: { unlinked: true } };
    },
  });
}
