import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import type { KeyManager } from '../../services/actor';
import type { IdempotencyStore, StoredResponse } from '../../services/idempotency/idempotency-store';
import type { RouteResult } from './route-context';

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * How a route's answer is kept for an Idempotency-Key replay, declared on the route itself.
 * 'sealed': the response, sealed under the account's data key (for answers without a secret, and
 * whose resource cannot later be deleted while its PII sits in the stored answer).
 * A reference: only the resource's type and id are kept; a replay re-renders the resource as it
 * is now (a deleted one answers 404), so a secret shown once or deleted PII never comes back.
 */
export type ReplayRule<Actor extends KeyManager = KeyManager> = 'sealed' | ReplayByReference<Actor>;

export interface ReplayByReference<Actor extends KeyManager = KeyManager> {
  resource: string;
  render: (ctx: { em: EntityManager; actor: Actor }, id: string, status: number) => Promise<RouteResult>;
  /**
   * The handler completes the key itself, in the same statement that writes its resource (through
   * `IdempotencyGate.claimRef`), and that write happens only while the claim is still its own. A
   * claim without an answer then means nothing was written, so a retry may take it over after this
   * short lease instead of the default one (a client waiting out a crashed request's claim).
   */
  completedInWrite?: { leaseSeconds: number };
}

export type ReplayedResult = RouteResult & { replayed: true };

/** SHA-256 of a parsed JSON body; streamed bodies are hashed as they are read (body-fingerprint.ts). */
export function jsonBodyDigest(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');
}

export function requestFingerprint(method: string, path: string, query: unknown, bodyDigest: string): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(query ?? null)}\n${bodyDigest}`)
    .digest('hex');
}

/**
 * Idempotency-Key for one request: the first request with a key claims it and its answer is
 * stored; a repeat with the same fingerprint (method, path, query, body bytes) gets that answer
 * again; a different request under the same key is refused (422); a repeat while the first still
 * runs gets 409. A request that fails releases its key, so the client can retry it.
 *
 * JSON routes are claimed before the handler runs. A streamed route's handler reads the body first
 * and then calls `claim` with the body's digest: the decision needs the whole body.
 */
export class IdempotencyGate {
  private claimId: string | null = null;
  private claimCalled = false;
  private readonly key: string | undefined;

  constructor(
    private readonly store: IdempotencyStore,
    /** The request's EntityManager, forked only if a key is claimed, completed or replayed. */
    private readonly entityManager: () => EntityManager,
    private readonly actor: KeyManager | undefined,
    key: string | undefined,
    private readonly request: { method: string; path: string; query: unknown },
    private readonly rule: ReplayRule,
  ) {
    this.key = actor && request.method !== 'get' ? key : undefined;
    if (this.key !== undefined && !KEY_RE.test(this.key)) {
      throw AppError.invalid('headers.idempotency-key', 'must be 1-255 visible ASCII characters');
    }
  }

  private get em(): EntityManager {
    return this.entityManager();
  }

  /** Whether this request carries an Idempotency-Key the server honours. */
  get active(): boolean {
    return this.key !== undefined;
  }

  /** null: run the request (the key, if any, is now claimed). Otherwise the stored answer to send again. */
  async claim(bodyDigest: string): Promise<ReplayedResult | null> {
    this.claimCalled = true;
    if (this.key === undefined || !this.actor) return null;
    const hash = requestFingerprint(this.request.method, this.request.path, this.request.query, bodyDigest);
    const outcome = await this.store.claim(
      this.em,
      { accountId: this.actor.accountId, key: this.key, method: this.request.method, path: this.request.path, requestHash: hash },
      this.completedInWrite?.leaseSeconds,
    );
    if (outcome.claimed) {
      this.claimId = outcome.claimId;
      return null;
    }
    const existing = outcome.existing;
    if (!existing) throw new AppError('conflict', 'the idempotency key was released; retry the request');
    if (existing.requestHash !== hash) {
      throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
    }
    if (!existing.response) throw new AppError('conflict', 'a request with this Idempotency-Key is still in progress');
    return { ...(await this.replay(existing.response)), replayed: true };
  }

  /** The claim this request holds, for a handler that completes it in its own write (ReplayByReference.completedInWrite). */
  get claimRef(): { accountId: string; key: string; claimId: string } | undefined {
    if (this.claimId === null || !this.actor || this.key === undefined) return undefined;
    return { accountId: this.actor.accountId, key: this.key, claimId: this.claimId };
  }

  private get completedInWrite(): { leaseSeconds: number } | undefined {
    return this.rule === 'sealed' ? undefined : this.rule.completedInWrite;
  }

  /** Stores the answer of a claimed request (nothing to do without a key or for a replay). */
  async complete(result: RouteResult): Promise<void> {
    if (this.key !== undefined && !this.claimCalled) throw new Error('a streamed route must call idempotency.claim');
    if (this.claimId === null || !this.actor) return;
    if (this.completedInWrite) return; // the handler's own write stored it
    await this.store.complete(this.em, this.actor.accountId, this.key!, this.claimId, this.toStored(result));
  }

  async release(): Promise<void> {
    if (this.claimId === null || !this.actor) return;
    await this.store.release(this.em, this.actor.accountId, this.key!, this.claimId);
  }

  private toStored(result: RouteResult): StoredResponse {
    if (this.rule === 'sealed') return { status: result.status, kind: 'sealed', body: result.body, headers: result.headers ?? {} };
    const id = (result.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw new Error(`a ${this.rule.resource} answer has no id to store for replay`);
    return { status: result.status, kind: 'reference', resourceType: this.rule.resource, resourceId: id };
  }

  private async replay(stored: StoredResponse): Promise<RouteResult> {
    if (stored.kind === 'sealed') return { status: stored.status, body: stored.body, headers: stored.headers };
    if (this.rule === 'sealed' || this.rule.resource !== stored.resourceType) {
      throw new Error(`stored reference to a ${stored.resourceType} does not match this route's replay rule`);
    }
    try {
      return await this.rule.render({ em: this.em, actor: this.actor! }, stored.resourceId, stored.status);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') {
        throw new AppError('not_found', `the ${stored.resourceType} this request acted on no longer exists`);
      }
      throw err;
    }
  }
}
