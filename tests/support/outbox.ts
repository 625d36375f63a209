import type { Pool } from 'pg';
import { phoneHash } from '../../lib/crypto/phone-hash';
import { uuidv7 } from '../../lib/ids';
import type { ServiceDeps } from '../../services/deps';
import { sealBody, sealRecipient } from '../../services/messaging/send-fields';

export interface QueuedMessageSpec {
  accountId: string;
  from: string;
  to: string;
  body: string;
  kind?: 'api' | 'keyword_reply';
}

/**
 * Writes queued outbound messages exactly as the messages service does (recipient hashed, number and
 * body sealed under the account key and bound to the row), for send-path tests that run before or
 * without the API. Returns the ids in order.
 */
export async function insertQueuedMessages(deps: ServiceDeps, specs: QueuedMessageSpec[]): Promise<string[]> {
  const em = deps.orm.em.fork();
  const ids: string[] = [];
  const BATCH = 2_000;
  for (let start = 0; start < specs.length; start += BATCH) {
    const slice = specs.slice(start, start + BATCH);
    const rows = [];
    for (const spec of slice) {
      const id = uuidv7();
      const key = await deps.keyring.keyFor(em, spec.accountId);
      rows.push({
        id,
        accountId: spec.accountId,
        kind: spec.kind ?? 'api',
        hash: phoneHash(deps.keys.phoneHashKey, spec.to),
        pii: sealRecipient(key, id, spec.to),
        sender: spec.from,
        body: sealBody(key, id, spec.body),
      });
      ids.push(id);
    }
    await deps.pgPool.query(
      `with r as (
         select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[], $5::bytea[], $6::text[], $7::bytea[])
              as r(id, account_id, kind, hash, pii, sender, body)),
       m as (
         insert into messages (id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status,
                               next_attempt_at, created_at, updated_at)
         select r.id, r.account_id, 'outbound', r.kind, r.hash, r.pii, r.sender, 'GSM-7', 1, 'queued', now(), now(), now() from r)
       insert into message_bodies (message_id, account_id, body, created_at) select r.id, r.account_id, r.body, now() from r`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.accountId),
        rows.map((r) => r.kind),
        rows.map((r) => r.hash),
        rows.map((r) => r.pii),
        rows.map((r) => r.sender),
        rows.map((r) => r.body),
      ],
    );
  }
  return ids;
}

export interface StoredMessageState {
  id: string;
  status: string;
  carrier: string | null;
  carrier_message_id: string | null;
  error_code: string | null;
}

export async function messageStates(deps: ServiceDeps, ids: string[]): Promise<StoredMessageState[]> {
  const { rows } = await deps.pgPool.query<StoredMessageState>(
    'select id, status, carrier, carrier_message_id, error_code from messages where id = any($1::uuid[]) order by id',
    [ids],
  );
  return rows;
}

export async function attemptsOf(
  deps: ServiceDeps,
  messageId: string,
): Promise<{ id: string; carrier: string; outcome: string; error_code: string | null }[]> {
  const { rows } = await deps.pgPool.query(
    'select id, carrier, outcome, error_code from message_attempts where message_id = $1 order by created_at, id',
    [messageId],
  );
  return rows;
}

/** Polls until `check` holds or the deadline passes (then returns its last value for the assertion). */
export async function waitFor<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}

/**
 * Every test file shares the run's database but brings its own simulator: messages another file left
 * in the outbox (sent from numbers this simulator does not hold, or waiting for a window or a hosting
 * order) would fail here call after call and open this file's breakers, and the breakers another
 * file opened against its own (stopped) simulator say nothing about this one. A file that runs the
 * send path starts from an empty outbox and closed breakers.
 */
export async function startSendPathAfresh(pool: Pool): Promise<void> {
  await pool.query(
    `update messages set status = 'failed', error_code = 'left_by_another_test_file', claimed_until = null, updated_at = now()
      where status in ('queued', 'sending')`,
  );
  await pool.query('delete from carrier_health');
}
