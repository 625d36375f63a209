import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';

/** How long a Google sign-in may take between our redirect and its callback. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** What a sign-in in progress must remember until its callback: the browser keeps it, signed. */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The name a sign-up through this flow gives the new account. */
  accountName: string;
  expiresAt: number;
}

const REFUSED = 'the Google sign-in is unknown, expired or already used; start again at GET /v1/auth/google/start';
const stateDigest = (state: string) => createHash('sha256').update(state).digest();

/**
 * Sign-ins in progress. The PKCE verifier, nonce and state go into a short-lived HttpOnly cookie,
 * HMAC-signed so the browser cannot alter them (they are the browser's own secrets; nothing of them
 * is stored in clear). The database keeps only a SHA-256 of the state, consumed once at the
 * callback: a replayed callback (same code, same cookie) finds it used.
 */
export class OidcFlows {
  private readonly key: Buffer;

  constructor(
    digestKey: Buffer,
    private readonly clock: () => number = Date.now,
  ) {
    this.key = createHmac('sha256', digestKey).update('oidc_flow_cookie').digest();
  }

  async begin(em: EntityManager, flow: Omit<OidcFlow, 'expiresAt'>): Promise<{ cookie: string; expiresAt: number }> {
    const now = this.clock();
    const sealed: OidcFlow = { ...flow, expiresAt: now + OIDC_FLOW_TTL_MS };
    await em.execute('insert into oidc_sign_in_flows (state_hash, created_at, expires_at) values (?, ?, ?)', [
      stateDigest(flow.state),
      new Date(now),
      new Date(sealed.expiresAt),
    ]);
    const payload = Buffer.from(JSON.stringify(sealed)).toString('base64url');
    return { cookie: `${payload}.${this.mac(payload)}`, expiresAt: sealed.expiresAt };
  }

  /** The flow the cookie carries, consumed: 401 for a missing, forged, expired or already used one. */
  async consume(em: EntityManager, cookie: string | null): Promise<OidcFlow> {
    const flow = cookie ? this.open(cookie) : null;
    if (!flow || flow.expiresAt <= this.clock()) throw new AppError('unauthorized', REFUSED);
    const now = new Date(this.clock());
    const used = await em.execute<{ state_hash: Buffer }[]>(
      'update oidc_sign_in_flows set used_at = ? where state_hash = ? and used_at is null and expires_at > ? returning state_hash',
      [now, stateDigest(flow.state), now],
    );
    if (used.length === 0) throw new AppError('unauthorized', REFUSED);
    return flow;
  }

  private open(cookie: string): OidcFlow | null {
    const [payload, mac, ...rest] = cookie.split('.');
    if (!payload || !mac || rest.length > 0 || cookie.length > 4096) return null;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as OidcFlow;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
