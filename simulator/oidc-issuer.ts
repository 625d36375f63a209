import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

/** A person at the local issuer: what its ID tokens say about them. */
export interface LocalOidcUser {
  sub: string;
  email: string;
  emailVerified: boolean;
}

/** Who signs in when the authorization request names nobody (no login_hint). */
export const DEFAULT_LOCAL_OIDC_EMAIL = 'holder@example.com';

/**
 * The local OpenID provider of tests and `npm run dev`, standing in for Google: oauth2-mock-server
 * speaks real OIDC over HTTP (discovery, JWKS, RS256-signed ID tokens, PKCE S256 checked at the
 * token endpoint). Around it: the person is chosen by the authorization request's `login_hint` (an
 * email; Google takes it too) and gets a stable `sub` derived from it, `email_verified` true unless
 * the user was registered otherwise; a code is good for one exchange (Google answers a replay with
 * invalid_grant). There is no consent page: the authorize endpoint redirects back at once.
 */
export class LocalOidcIssuer {
  private readonly server = new OAuth2Server();
  private readonly users = new Map<string, LocalOidcUser>();
  private readonly codes = new Map<string, { user: LocalOidcUser; exchanged: boolean }>();
  /** Tests: alters the next ID token's claims before it is signed (a wrong nonce, an expired token). */
  tamperNextIdToken: ((claims: Record<string, unknown>) => void) | null = null;
  /** Every token the token endpoint handed out (access, ID, refresh), so tests can check none is kept. */
  readonly issuedTokens: string[] = [];

  /** Registers (or replaces) the person an email signs in as. */
  setUser(user: LocalOidcUser): void {
    this.users.set(user.email.toLowerCase(), user);
  }

  userFor(email: string): LocalOidcUser {
    return (
      this.users.get(email.toLowerCase()) ?? {
        sub: `local-${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 21)}`,
        email,
        emailVerified: true,
      }
    );
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await this.server.issuer.keys.generate('RS256');
    const service = this.server.service;
    service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: IncomingMessage) => {
      const hint = new URL(req.url ?? '/', 'http://issuer.invalid').searchParams.get('login_hint');
      const code = redirect.url.searchParams.get('code');
      if (code) this.codes.set(code, { user: this.userFor(hint ?? DEFAULT_LOCAL_OIDC_EMAIL), exchanged: false });
    });
    service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }, req: { body?: Record<string, unknown> }) => {
      const granted = typeof req.body?.code === 'string' ? this.codes.get(req.body.code) : undefined;
      if (!granted) return;
      Object.assign(token.payload, { sub: granted.user.sub, email: granted.user.email, email_verified: granted.user.emailVerified });
      const isIdToken = !('scope' in token.payload);
      if (isIdToken && this.tamperNextIdToken) {
        this.tamperNextIdToken(token.payload);
        this.tamperNextIdToken = null;
      }
    });
    service.on('beforeResponse', (response: { body: unknown; statusCode: number }, req: { body?: Record<string, unknown> }) => {
      const granted = typeof req.body?.code === 'string' ? this.codes.get(req.body.code) : undefined;
      if (!granted || granted.exchanged) {
        response.statusCode = 400;
        response.body = { error: 'invalid_grant', error_description: 'the code is unknown or was already used' };
        return;
      }
      granted.exchanged = true;
      const body = response.body as Record<string, unknown>;
      for (const name of ['access_token', 'id_token', 'refresh_token'])
        if (typeof body[name] === 'string') this.issuedTokens.push(body[name]);
    });
    await this.server.start(port, host);
    const address = this.server.address();
    this.server.issuer.url = `http://${host}:${address.port}`;
    return this.server.issuer.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
