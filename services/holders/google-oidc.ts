import * as oidc from 'openid-client';
import { AppError } from '../../lib/errors';

export interface GoogleOidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** Plain http to the issuer: the local OpenID provider of tests and npm run dev only (never production, config/env.ts). */
  allowHttp: boolean;
}

/** What a validated ID token says about the person signing in. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

const SCOPE = 'openid email';

/** A refusal by the issuer or by the library's checks (state, nonce, signature, iss, aud, exp, PKCE). */
const isProtocolFailure = (err: unknown) =>
  err instanceof oidc.ResponseBodyError ||
  err instanceof oidc.AuthorizationResponseError ||
  (err instanceof oidc.ClientError && err.code !== undefined && err.code.startsWith('OAUTH_'));

/**
 * The relying party, through openid-client: discovery (cached once it succeeds), the authorization
 * request (code + PKCE S256, state, nonce) and the code exchange, where the library checks the
 * state, the ID token's signature against the issuer's JWKS, its iss, aud, exp and nonce. The
 * tokens it gets are read for the ID token's claims and then dropped: nothing of them is kept.
 */
export class GoogleOidc {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly settings: GoogleOidcSettings) {}

  async authorizationRequest(loginHint?: string): Promise<{ url: URL; state: string; nonce: string; codeVerifier: string }> {
    const config = await this.discover();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { url, state, nonce, codeVerifier };
  }

  /** Exchanges the callback's code; 401 for anything the issuer or the library refuses, 503 when the issuer is unreachable. */
  async exchange(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<OidcIdentity> {
    const config = await this.discover();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      if (isProtocolFailure(err)) {
        throw new AppError('unauthorized', 'Google sign-in was refused: the answer did not pass the OpenID Connect checks; start again');
      }
      throw new AppError('unavailable', 'Google sign-in is unreachable just now; try again shortly');
    }
    if (!claims) throw new AppError('unauthorized', 'Google sign-in was refused: no ID token');
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof claims.email === 'string' && claims.email.length <= 320 ? claims.email : null,
      emailVerified: claims.email_verified === true,
    };
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        this.settings.clientSecret,
        undefined,
        this.settings.allowHttp ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw new AppError('unavailable', 'Google sign-in is unreachable just now; try again shortly', {
          cause: err instanceof Error ? err.name : 'unknown',
        });
      });
    return this.configuration;
  }
}
