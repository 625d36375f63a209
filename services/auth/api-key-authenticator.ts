import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../../db/entities/api-key';
import { Coalescer } from '../../lib/coalescer';
import { dummyArgon2Hash, verifySecret, type SecretVerifier } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import type { AccountActor } from '../actor';
import type { FailureGate } from './failure-gate';

const TOKEN_RE = /^(msk_[0-9a-f]{12})_([A-Za-z0-9_-]{32})$/;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/** One answer for every failure, so the body does not tell an unknown prefix from a wrong secret. */
const REFUSED = 'the API key is unknown, revoked or wrong';

type ApiKeyRow = Pick<ApiKey, 'id' | 'accountId' | 'keyHash' | 'scopes' | 'lastUsedAt' | 'revokedAt'>;
interface StoredKey {
  id: string;
  prefix: string;
  account_id: string;
  key_hash: string;
  scopes: ApiKey['scopes'];
  /** The ORM's connection hands timestamps back as text. */
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}
const toRow = (r: StoredKey): ApiKeyRow => ({
  id: r.id,
  accountId: r.account_id,
  keyHash: r.key_hash,
  scopes: r.scopes,
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/**
 * Resolves a bearer token to its account. argon2 verification is slow by design, so a successful
 * verification is remembered per token digest (revocation is still read from the row every time).
 * Every other attempt first passes the failure gate (per address and per key prefix) and then costs
 * exactly one argon2 verification: against the key's hash, or against a dummy hash of the same
 * parameters when the prefix is unknown, so timing does not reveal which prefixes exist.
 */
export class ApiKeyAuthenticator {
  private readonly verified = new Map<string, string>();
  /** Concurrent requests' key rows are read together: one query per run, not per request. */
  private readonly rows = new Coalescer<{ em: EntityManager; prefix: string }, ApiKeyRow | null>(
    async (lookups) => {
      const prefixes = [...new Set(lookups.map((l) => l.prefix))];
      const found = await lookups[0]!.em.execute<StoredKey[]>(
        // Only keys of active accounts: a terminated account's key is refused like an unknown one, whatever was remembered.
        `select k.id, k.prefix, k.account_id, k.key_hash, k.scopes, k.last_used_at, k.revoked_at
           from api_keys k join accounts a on a.id = k.account_id and a.status = 'active' where k.prefix in (?)`,
        [prefixes],
      );
      const byPrefix = new Map(found.map((r) => [r.prefix, toRow(r)]));
      return lookups.map((l) => byPrefix.get(l.prefix) ?? null);
    },
    { concurrency: 2, maxWeight: 500 },
  );

  constructor(
    private readonly gate: FailureGate,
    private readonly verify: SecretVerifier = verifySecret,
  ) {}

  async authenticate(em: EntityManager, token: string, address: string): Promise<AccountActor> {
    const match = TOKEN_RE.exec(token);
    if (!match) {
      this.gate.check(address, null);
      this.gate.charge(address, null);
      throw new AppError('unauthorized', 'the API key is malformed');
    }
    const prefix = match[1]!;
    const found = await this.rows.submit({ em, prefix });
    const digest = createHash('sha256').update(token).digest('hex');
    const remembered = found && !found.revokedAt && this.verified.get(digest) === found.id ? found : null;
    const key = remembered ?? (await this.verifyOrRefuse(found, token, address, prefix));
    this.verified.set(digest, key.id);
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_WRITE_INTERVAL_MS) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
    }
    return { accountId: key.accountId, apiKeyId: key.id, scopes: key.scopes };
  }

  private async verifyOrRefuse(key: ApiKeyRow | null, token: string, address: string, prefix: string): Promise<ApiKeyRow> {
    this.gate.check(address, prefix);
    const matches = await this.verify(key?.keyHash ?? (await dummyArgon2Hash()), token);
    if (!key || key.revokedAt || !matches) {
      this.gate.charge(address, prefix);
      throw new AppError('unauthorized', REFUSED);
    }
    return key;
  }
}
