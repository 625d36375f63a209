import type { EntityManager } from '@mikro-orm/postgresql';
import type { FieldBinding } from '../../lib/crypto/sealed-field';
import { openJson, sealJson } from '../../lib/crypto/sealed-json';
import { uuidv7 } from '../../lib/ids';
import type { DataKeyring } from '../keyring';

/** How long a key answers with its first response; after that the key behaves as new. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a claim without a stored response holds its key. After that the request is presumed
 * dead (the process crashed between claim and store) and the next request with the same key and
 * fingerprint takes the claim over instead of answering 409 forever.
 */
export const IDEMPOTENCY_CLAIM_LEASE_SECONDS = 5 * 60;

export interface IdempotencyClaimRequest {
  accountId: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
}

/** A response kept for replay: sealed whole, or a reference re-rendered from the resource's current row. */
export type StoredResponse =
  | { status: number; kind: 'sealed'; body: unknown; headers: Record<string, string> }
  | { status: number; kind: 'reference'; resourceType: string; resourceId: string };

export type ClaimOutcome =
  { claimed: true; claimId: string } | { claimed: false; existing: { requestHash: string; response: StoredResponse | null } | null };

interface ClaimRow {
  request_hash: string;
  status_code: number | null;
  response_sealed: Buffer | null;
  resource_type: string | null;
  resource_id: string | null;
}

interface SealedResponse {
  body: unknown;
  headers: Record<string, string>;
}

/** The AAD binds a sealed response to its account and key, so it cannot be replayed under another. */
/** A stored answer opens only as the answer of this key (the account is bound by the data key's AAD too). */
export const sealedResponseBinding = (key: string): FieldBinding => ({ purpose: 'idempotency_keys.response_sealed', rowId: key });

/**
 * The idempotency domain's SQL. Stored responses never hold a secret or PII in clear: they are
 * sealed under the account's data key, or only a resource reference is stored.
 */
export class IdempotencyStore {
  constructor(private readonly keyring: DataKeyring) {}

  /**
   * Claims the key, or takes it over when it has expired, or when it is an unfinished claim whose
   * lease has passed and the request is the same. Otherwise answers what is stored under the key.
   */
  async claim(em: EntityManager, req: IdempotencyClaimRequest, leaseSeconds = IDEMPOTENCY_CLAIM_LEASE_SECONDS): Promise<ClaimOutcome> {
    const claimId = uuidv7();
    const taken = await em.execute<{ claim_id: string }[]>(
      `insert into idempotency_keys
         (account_id, key, method, path, request_hash, claim_id, created_at, locked_until, expires_at)
       values (?, ?, ?, ?, ?, ?, now(), now() + make_interval(secs => ?), now() + make_interval(secs => ?))
       on conflict (account_id, key) do update set
         method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
         claim_id = excluded.claim_id, created_at = excluded.created_at, locked_until = excluded.locked_until,
         expires_at = excluded.expires_at, status_code = null, response_sealed = null,
         resource_type = null, resource_id = null
       where idempotency_keys.expires_at <= now()
          or (idempotency_keys.status_code is null
              and idempotency_keys.locked_until <= now()
              and idempotency_keys.request_hash = excluded.request_hash)
       returning claim_id`,
      [req.accountId, req.key, req.method, req.path, req.requestHash, claimId, leaseSeconds, IDEMPOTENCY_KEY_TTL_SECONDS],
    );
    if (taken.length > 0) return { claimed: true, claimId };
    const [row] = await em.execute<ClaimRow[]>(
      `select request_hash, status_code, response_sealed, resource_type, resource_id
       from idempotency_keys where account_id = ? and key = ?`,
      [req.accountId, req.key],
    );
    if (!row) return { claimed: false, existing: null };
    return { claimed: false, existing: { requestHash: row.request_hash, response: await this.toResponse(em, req, row) } };
  }

  /** Records the response of the claim `claimId`; false when the claim was taken over meanwhile. */
  async complete(em: EntityManager, accountId: string, key: string, claimId: string, response: StoredResponse): Promise<boolean> {
    const sealed =
      response.kind === 'sealed'
        ? sealJson(await this.keyring.keyFor(em, accountId), sealedResponseBinding(key), {
            body: response.body,
            headers: response.headers,
          } satisfies SealedResponse)
        : null;
    const reference = response.kind === 'reference' ? response : null;
    const updated = await em.execute<{ key: string }[]>(
      `update idempotency_keys
       set status_code = ?, response_sealed = ?, resource_type = ?, resource_id = ?, locked_until = null
       where account_id = ? and key = ? and claim_id = ? returning key`,
      [response.status, sealed, reference?.resourceType ?? null, reference?.resourceId ?? null, accountId, key, claimId],
    );
    return updated.length > 0;
  }

  /** A request that failed gives its key back, so the client can retry it. */
  async release(em: EntityManager, accountId: string, key: string, claimId: string): Promise<void> {
    await em.execute('delete from idempotency_keys where account_id = ? and key = ? and claim_id = ?', [accountId, key, claimId]);
  }

  /** Deletes expired keys in batches of `batchSize`; returns how many went. */
  async purgeExpired(em: EntityManager, batchSize: number, onBatch?: (purgedSoFar: number) => void): Promise<number> {
    let purged = 0;
    for (;;) {
      const deleted = await em.execute<{ key: string }[]>(
        `delete from idempotency_keys where ctid in
           (select ctid from idempotency_keys where expires_at <= now() limit ? for update skip locked)
         returning key`,
        [batchSize],
      );
      purged += deleted.length;
      onBatch?.(purged);
      if (deleted.length < batchSize) return purged;
    }
  }

  private async toResponse(em: EntityManager, req: IdempotencyClaimRequest, row: ClaimRow): Promise<StoredResponse | null> {
    if (row.status_code === null) return null;
    if (row.resource_type !== null && row.resource_id !== null) {
      return { status: row.status_code, kind: 'reference', resourceType: row.resource_type, resourceId: row.resource_id };
    }
    const opened: SealedResponse = row.response_sealed
      ? openJson<SealedResponse>(await this.keyring.keyFor(em, req.accountId), sealedResponseBinding(req.key), row.response_sealed)
      : { body: undefined, headers: {} };
    return { status: row.status_code, kind: 'sealed', body: opened.body, headers: opened.headers };
  }
}
