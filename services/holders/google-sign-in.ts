import type { EntityManager } from '@mikro-orm/postgresql';
import { dummyArgon2Hash, verifySecret } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import { signUpVerified, type SignUpDeps } from '../accounts';
import type { AuthLimits } from '../auth/auth-limits';
import type { SessionService } from '../auth/sessions';
import { googleIdentities } from './google-identities';
import { GoogleOidc } from './google-oidc';
import type { HolderSessions } from './holder-sessions';
import { OidcFlows } from './oidc-flows';

export interface BrowserContext {
  address: string;
  userAgent: string | undefined;
}

type SignedIn = Awaited<ReturnType<SessionService['signInProven']>>;

export type GoogleCallbackOutcome =
  | { outcome: 'signed_in'; signedIn: SignedIn }
  | { outcome: 'signed_up'; signedIn: SignedIn; created: { account: unknown; apiKey: unknown } }
  | { outcome: 'link_required'; linkToken: string; expiresAt: Date };

const UNVERIFIED =
  'Google does not vouch for this email (email_verified is not true): verify it with Google, or sign up with email and password';

/**
 * Google sign-in's outcomes. A known (issuer, subject) signs its holder in. An unknown one whose
 * email Google verified and no holder has signs up (the account POST /v1/accounts would make, the
 * email verified). An unknown one whose email belongs to a holder is never signed in on the email
 * alone: it gets a pending link that only the holder's password completes.
 */
export class GoogleSignIn {
  constructor(
    private readonly deps: {
      oidc: GoogleOidc;
      flows: OidcFlows;
      sessions: SessionService;
      holderSessions: HolderSessions;
      limits: AuthLimits;
      signUp: Pick<SignUpDeps, 'keyring' | 'authDigestKey'>;
    },
  ) {}

  /** The issuer's authorization URL and the flow cookie that must come back with the callback. */
  async start(
    em: EntityManager,
    input: { accountName: string; loginHint?: string | undefined },
  ): Promise<{ location: string; flowCookie: string }> {
    const request = await this.deps.oidc.authorizationRequest(input.loginHint);
    const { cookie } = await this.deps.flows.begin(em, {
      state: request.state,
      nonce: request.nonce,
      codeVerifier: request.codeVerifier,
      accountName: input.accountName,
    });
    return { location: request.url.href, flowCookie: cookie };
  }

  async callback(em: EntityManager, flowCookie: string | null, callbackUrl: URL, browser: BrowserContext): Promise<GoogleCallbackOutcome> {
    const flow = await this.deps.flows.consume(em, flowCookie);
    const identity = await this.deps.oidc.exchange(callbackUrl, flow);
    const now = new Date();
    const cookie = { sessions: this.deps.holderSessions, userAgent: browser.userAgent };
    const known = await googleIdentities.signIn(em, identity, now);
    if (known)
      return { outcome: 'signed_in', signedIn: await this.deps.sessions.signInProven(em, known, browser.address, cookie, 'google') };
    if (!identity.emailVerified || !identity.email) throw new AppError('forbidden', UNVERIFIED);
    const created = await signUpVerified(
      em,
      this.deps.signUp,
      { accountName: flow.accountName, email: identity.email },
      (tem, userId, at) => googleIdentities.link(tem, userId, identity, 'sign_up', at),
    );
    if (created) {
      const signedIn = await this.deps.sessions.signInProven(em, created.userId, browser.address, cookie, 'google');
      return { outcome: 'signed_up', signedIn, created: { account: created.account, apiKey: created.apiKey } };
    }
    const [holder] = await em.execute<{ id: string }[]>('select id from users where lower(email) = lower(?)', [identity.email]);
    if (!holder) throw new AppError('conflict', 'the email changed hands during sign-in; start again');
    const pending = await googleIdentities.openPendingLink(em, holder.id, identity, now);
    return { outcome: 'link_required', linkToken: pending.token, expiresAt: pending.expiresAt };
  }

  /**
   * The holder proves the password once to link the Google identity, then is signed in. Counted like
   * a password sign-in (per address, and per address and email), so guessing here is no cheaper.
   */
  async completeLink(em: EntityManager, input: { linkToken: string; password: string }, browser: BrowserContext): Promise<SignedIn> {
    const now = new Date();
    await this.deps.limits.checkAddress(browser.address);
    const link = await googleIdentities.findPendingLink(em, input.linkToken, now);
    if (!link) {
      await this.deps.limits.chargeBadToken(browser.address);
      throw new AppError('unauthorized', 'the link request is unknown, used or expired; sign in with Google again');
    }
    const subject = `email:${link.email}`;
    await this.deps.limits.checkSignIn(browser.address, subject);
    const matches = await verifySecret(link.passwordHash ?? (await dummyArgon2Hash()), input.password);
    if (!matches || !link.passwordHash) {
      await this.deps.limits.chargeSignIn(browser.address, subject);
      throw new AppError('unauthorized', 'the password is wrong');
    }
    await this.deps.limits.signedIn(browser.address, subject);
    await em.transactional(async (tem) => {
      if (!(await googleIdentities.usePendingLink(tem, link.id, now))) {
        throw new AppError('unauthorized', 'the link request is unknown, used or expired; sign in with Google again');
      }
      await googleIdentities.link(tem, link.userId, link, 'password', now);
    });
    return this.deps.sessions.signInProven(
      em,
      link.userId,
      browser.address,
      { sessions: this.deps.holderSessions, userAgent: browser.userAgent },
      'google',
    );
  }
}

/** Google sign-in as configured (config/env.ts), or null when GOOGLE_CLIENT_ID or GOOGLE_CLIENT_SECRET is unset. */
export function googleSignInFromConfig(
  config: {
    NODE_ENV: string;
    PUBLIC_BASE_URL: string;
    GOOGLE_OIDC_ISSUER: string;
    GOOGLE_CLIENT_ID?: string | undefined;
    GOOGLE_CLIENT_SECRET?: string | undefined;
    GOOGLE_REDIRECT_URL?: string | undefined;
  },
  parts: Omit<ConstructorParameters<typeof GoogleSignIn>[0], 'oidc' | 'flows'>,
): { signIn: GoogleSignIn; redirectUrl: string } | null {
  if (!config.GOOGLE_CLIENT_ID || !config.GOOGLE_CLIENT_SECRET) return null;
  const redirectUrl = config.GOOGLE_REDIRECT_URL ?? new URL('/v1/auth/google/callback', config.PUBLIC_BASE_URL).href;
  const oidc = new GoogleOidc({
    issuer: config.GOOGLE_OIDC_ISSUER,
    clientId: config.GOOGLE_CLIENT_ID,
    clientSecret: config.GOOGLE_CLIENT_SECRET,
    redirectUrl,
    allowHttp: config.NODE_ENV !== 'production',
  });
  return { signIn: new GoogleSignIn({ ...parts, oidc, flows: new OidcFlows(parts.signUp.authDigestKey) }), redirectUrl };
}
