import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import type { RouteResult } from './route-context';

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface StoredRequest {
  request_hash: string;
  status_code: number | null;
  response_body: unknown;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * Idempotency-Key: the first request with a key runs and its response is stored; a repeat with the
 * same fingerprint gets that response again; a different request under the same key is refused.
 * A request that fails releases its key, so the client can retry it.
 */
export async function withIdempotency(
  em: EntityManager,
  accountId: string,
  key: string,
  fingerprint: { method: string; path: string; hash: string },
  run: () => Promise<RouteResult>,
): Promise<RouteResult & { replayed?: boolean }> {
  if (!KEY_RE.test(key)) throw AppError.invalid('headers.idempotency-key', 'must be 1-255 visible ASCII characters');
  const claimed = await em.execute<{ key: string }[]>(
    `insert into idempotency_keys (account_id, key, method, path, request_hash, created_at)
     values (?, ?, ?, ?, ?, now()) on conflict do nothing returning key`,
    [accountId, key, fingerprint.method, fingerprint.path, fingerprint.hash],
  );
  if (claimed.length === 0) {
    const [stored] = await em.execute<StoredRequest[]>(
      'select request_hash, status_code, response_body from idempotency_keys where account_id = ? and key = ?',
      [accountId, key],
    );
    if (!stored) throw new AppError('conflict', 'the idempotency key was released; retry the request');
    if (stored.request_hash !== fingerprint.hash) {
      throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
    }
    if (stored.status_code === null) throw new AppError('conflict', 'a request with this Idempotency-Key is still in progress');
    return { status: stored.status_code, body: stored.response_body ?? undefined, replayed: true };
  }
  try {
    const result = await run();
    await em.execute('update idempotency_keys set status_code = ?, response_body = ?::jsonb where account_id = ? and key = ?', [
      result.status,
      result.body === undefined ? null : JSON.stringify(result.body),
      accountId,
      key,
    ]);
    return result;
  } catch (err) {
    await em.execute('delete from idempotency_keys where account_id = ? and key = ?', [accountId, key]);
    throw err;
  }
}
