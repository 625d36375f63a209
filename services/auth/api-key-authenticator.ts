import type { EntityManager } from '@mikro-orm/postgresql';
import { Coalescer } from '../../lib/coalescer';
import { verifySecret, type SecretVerifier } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import type { AccountActor } from '../actor';
import { apiKeyDigest } from './auth-digest';
import type { AuthLimits } from './auth-limits';
import type { Pool } from 'pg';
import { findApiKeysByDigest, findLegacyApiKey, storeApiKeyDigest, touchApiKey, type ApiKeyRow } from './api-key-store';

const TOKEN_RE = /^(msk_[0-9a-f]{12})_([A-Za-z0-9_-]{32})$/;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/** One answer for every failure, so the body does not tell an unknown prefix from a wrong secret. */
const REFUSED = 'the API key is unknown, revoked or wrong';

/**
 * Resolves a bearer token to its account: one indexed lookup of the token's HMAC digest, so a
 * valid key is accepted before any budget is consulted and costs no argon2 work. Only a token that
 * fails is charged to the client address (429 once the address's budget is spent). A key stored
 * before digests (its row still holds an argon2id hash) is verified the old way once, from an address
 * with budget left, and its digest replaces the hash.
 */
export class ApiKeyAuthenticator {
  /** Concurrent requests' key rows are read together: one query per run, not per request. */
  private readonly rows = new Coalescer<string, ApiKeyRow | null>(
    async (digests) => {
      const found = await findApiKeysByDigest(this.pool, [...new Set(digests)]);
      return digests.map((d) => found.get(d) ?? null);
    },
    { concurrency: 2, maxWeight: 500 },
  );

  constructor(
    private readonly pool: Pool,
    private readonly digestKey: Buffer,
    private readonly limits: AuthLimits,
    private readonly verify: SecretVerifier = verifySecret,
  ) {}

  /** `em` is asked for only by a key stored before digests (the send path forks no EntityManager). */
  async authenticate(token: string, address: string, em: () => EntityManager): Promise<AccountActor> {
    const match = TOKEN_RE.exec(token);
    if (!match) {
      await this.limits.chargeBadToken(address);
      throw new AppError('unauthorized', 'the API key is malformed');
    }
    const digest = apiKeyDigest(this.digestKey, token);
    const key = (await this.rows.submit(digest)) ?? (await this.migrateLegacy(em(), match[1]!, token, digest, address));
    if (!key || key.revokedAt) {
      await this.limits.chargeBadToken(address);
      throw new AppError('unauthorized', REFUSED);
    }
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_WRITE_INTERVAL_MS) {
      await touchApiKey(this.pool, key.id, now);
    }
    return { accountId: key.accountId, apiKeyId: key.id, scopes: key.scopes };
  }

  /** The one argon2 verification a pre-digest key ever costs; the address gate keeps it from being an amplifier. */
  private async migrateLegacy(
    em: EntityManager,
    prefix: string,
    token: string,
    digest: string,
    address: string,
  ): Promise<ApiKeyRow | null> {
    const legacy = await findLegacyApiKey(em, prefix);
    if (!legacy) return null;
    await this.limits.checkAddress(address);
    if (!(await this.verify(legacy.keyHash, token))) return null;
    await storeApiKeyDigest(em, legacy.id, legacy.keyHash, digest);
    return legacy;
  }
}
