import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface AuditEntry {
  actorType: 'api_key' | 'user' | 'staff' | 'system' | 'signup';
  actorId?: string | null;
  accountId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

interface AuditRow {
  seq: string;
  /** Milliseconds since the epoch (timestamptz comes back from the driver as text). */
  at_ms: string;
  actor_type: string;
  actor_id: string | null;
  account_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: unknown;
  prev_hash: Buffer;
  hash: Buffer;
}

const GENESIS = Buffer.alloc(32);
// Serializes appends so each entry sees the previous hash; released when the transaction ends.
const AUDIT_APPEND_LOCK = 727_001;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function entryHash(prevHash: Buffer, row: Omit<AuditRow, 'prev_hash' | 'hash'>): Buffer {
  const at = new Date(Number(row.at_ms));
  const canonical = canonicalJson([
    String(row.seq),
    at.toISOString(),
    row.actor_type,
    row.actor_id,
    row.account_id,
    row.action,
    row.target_type,
    row.target_id,
    row.details,
  ]);
  return createHash('sha256').update(prevHash).update(canonical).digest();
}

/** Appends inside the caller's transaction, so an entry exists exactly when its change does. */
export async function appendAudit(em: EntityManager, entry: AuditEntry, now = new Date()): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(?)', [AUDIT_APPEND_LOCK]);
  const [last] = await em.execute<{ seq: string; hash: Buffer }[]>('select seq, hash from audit_log order by seq desc limit 1');
  const prevHash = last?.hash ?? GENESIS;
  const row = {
    seq: String(BigInt(last?.seq ?? '0') + 1n),
    at_ms: String(now.getTime()),
    actor_type: entry.actorType,
    actor_id: entry.actorId ?? null,
    account_id: entry.accountId ?? null,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    details: entry.details ?? {},
  };
  await em.execute(
    `insert into audit_log (seq, at, actor_type, actor_id, account_id, action, target_type, target_id, details, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
    [
      row.seq,
      now,
      row.actor_type,
      row.actor_id,
      row.account_id,
      row.action,
      row.target_type,
      row.target_id,
      JSON.stringify(row.details),
      prevHash,
      entryHash(prevHash, row),
    ],
  );
}

/** The common case: an API key of an account (or its holder, through a session) changed one thing of that account. */
export function auditByKey(
  em: EntityManager,
  actor: { accountId: string; apiKeyId: string } | { accountId: string; userId: string; sessionId: string },
  action: string,
  target: { type: string; id: string },
  details?: Record<string, unknown>,
): Promise<void> {
  const byUser = 'sessionId' in actor;
  return appendAudit(em, {
    actorType: byUser ? 'user' : 'api_key',
    actorId: byUser ? actor.userId : actor.apiKeyId,
    accountId: actor.accountId,
    action,
    targetType: target.type,
    targetId: target.id,
    details: byUser ? { ...details, sessionId: actor.sessionId } : details,
  });
}

export type ChainVerdict = { ok: true; entries: number } | { ok: false; entries: number; brokenAtSeq: string; reason: string };

/** Recomputes every hash in order; the first mismatch names the entry that was altered or removed. */
export async function verifyAuditChain(em: EntityManager, pageSize = 5000): Promise<ChainVerdict> {
  let prevHash: Buffer = GENESIS;
  let expectedSeq = 1n;
  let entries = 0;
  for (;;) {
    const rows = await em.execute<AuditRow[]>(
      `select *, (extract(epoch from at) * 1000)::bigint::text as at_ms from audit_log where seq >= ? order by seq limit ?`,
      [String(expectedSeq), pageSize],
    );
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (seq !== expectedSeq) return { ok: false, entries, brokenAtSeq: String(expectedSeq), reason: 'entry missing' };
      if (!row.prev_hash.equals(prevHash)) {
        return { ok: false, entries, brokenAtSeq: row.seq, reason: 'previous hash does not match' };
      }
      if (!entryHash(prevHash, row).equals(row.hash)) {
        return { ok: false, entries, brokenAtSeq: row.seq, reason: 'entry content does not match its hash' };
      }
      prevHash = row.hash;
      expectedSeq = seq + 1n;
      entries += 1;
    }
    if (rows.length < pageSize) return { ok: true, entries };
  }
}
