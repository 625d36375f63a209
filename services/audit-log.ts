import { createHash, createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Who acted: an account's API key or holder (`user`), a staff member (`staff`, by staff user id),
 * the product itself (`system`), a sign-up, or an `operator` with database access and MASTER_KEY
 * (the staff CLI's bootstrap, which runs beside the API, not through it).
 */
export type AuditActorType = 'api_key' | 'user' | 'staff' | 'system' | 'signup' | 'operator';

export interface AuditEntry {
  actorType: AuditActorType;
  actorId?: string | null;
  accountId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow {
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
  prev_mac: Buffer;
  mac: Buffer;
  mac_key_id: string | null;
}

interface CheckpointRow {
  entries: string;
  head_mac: Buffer;
  mac_key_id: string;
  mac: Buffer;
}

const GENESIS = Buffer.alloc(32);
// Serializes appends so each entry sees the previous MAC; released when the transaction ends.
const AUDIT_APPEND_LOCK = 727_001;

interface AuditSigner {
  key: Buffer;
  keyId: string;
  checkpointEvery: number;
}

// Set once per process by createServiceDeps: every caller appends inside its own transaction, and
// threading the key through each service signature would add nothing but noise.
let signer: AuditSigner | undefined;

/** Names a MAC key without revealing it, so entries say which MASTER_KEY generation wrote them. */
export function auditMacKeyId(key: Buffer): string {
  return createHash('sha256').update('massivesms/audit-mac-key-id').update(key).digest('hex').slice(0, 16);
}

/** Every process that appends calls this once, with the key derived from MASTER_KEY. */
export function configureAuditLog(key: Buffer, checkpointEvery: number): void {
  signer = { key, keyId: auditMacKeyId(key), checkpointEvery };
}

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

export type AuditContent = Omit<AuditRow, 'prev_mac' | 'mac' | 'mac_key_id'>;

/** The bytes an entry's MAC covers (exported for tests that forge entries as an attacker would). */
export function canonicalAuditEntry(row: AuditContent): string {
  const at = new Date(Number(row.at_ms));
  return canonicalJson([
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
}

function entryMac(key: Buffer, prevMac: Buffer, row: AuditContent): Buffer {
  return createHmac('sha256', key).update('entry').update(prevMac).update(canonicalAuditEntry(row)).digest();
}

function checkpointMac(key: Buffer, entries: string, headMac: Buffer): Buffer {
  return createHmac('sha256', key).update('checkpoint').update(entries).update(':').update(headMac).digest();
}

function cutMac(key: Buffer, firstKeptSeq: string, prevMac: Buffer): Buffer {
  return createHmac('sha256', key).update('cut').update(firstKeptSeq).update(':').update(prevMac).digest();
}

/**
 * Appends inside the caller's transaction, so an entry exists exactly when its change does. It takes
 * the log's one lock until that transaction ends: make it the transaction's last work, and never wait
 * for another pool connection after it (whoever holds that connection may be waiting for this lock).
 */
export async function appendAudit(em: EntityManager, entry: AuditEntry, now = new Date()): Promise<void> {
  if (!signer) throw new Error('audit log used before configureAuditLog');
  await em.execute('select pg_advisory_xact_lock(?)', [AUDIT_APPEND_LOCK]);
  const [last] = await em.execute<{ seq: string; mac: Buffer }[]>('select seq, mac from audit_log order by seq desc limit 1');
  const prevMac = last?.mac ?? GENESIS;
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
  const mac = entryMac(signer.key, prevMac, row);
  await em.execute(
    `insert into audit_log (seq, at, actor_type, actor_id, account_id, action, target_type, target_id, details, prev_mac, mac, mac_key_id)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
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
      prevMac,
      mac,
      signer.keyId,
    ],
  );
  if (BigInt(row.seq) % BigInt(signer.checkpointEvery) === 0n) {
    const written = await em.execute<{ entries: string }[]>(
      `insert into audit_checkpoints (entries, head_mac, mac_key_id, mac, at) values (?, ?, ?, ?, ?)
       on conflict (entries) do nothing returning entries`,
      [row.seq, mac, signer.keyId, checkpointMac(signer.key, row.seq, mac), now],
    );
    // Fail closed: appending over a cut tail would overwrite the evidence of the cut.
    if (written.length === 0) throw new Error(`audit chain is shorter than its checkpoint at ${row.seq}: the tail was cut`);
  }
}

/** The common case: an API key of an account (or its holder, through a session) changed one thing of that account. */
export function auditByKey(
  em: EntityManager,
  actor:
    | { accountId: string; apiKeyId: string; holder?: { userId: string; sessionId: string } }
    | { accountId: string; userId: string; sessionId: string },
  action: string,
  target: { type: string; id: string },
  details?: Record<string, unknown>,
): Promise<void> {
  // A holder through the cookie acts as the user, like one through a key-management token.
  const user = 'sessionId' in actor ? actor : actor.holder;
  return appendAudit(em, {
    actorType: user ? 'user' : 'api_key',
    actorId: user ? user.userId : (actor as { apiKeyId: string }).apiKeyId,
    accountId: actor.accountId,
    action,
    targetType: target.type,
    targetId: target.id,
    details: user ? { ...details, sessionId: user.sessionId } : details,
  });
}

/**
 * A staff member did one thing: the staff user is the actor, the session and role are in the details.
 * `accountId` names the customer account the action concerns, if any (a termination, a request).
 */
export function auditByStaff(
  em: EntityManager,
  actor: { staffUserId: string; staffSessionId: string; role: string },
  action: string,
  target: { type: string; id: string; accountId?: string },
  details?: Record<string, unknown>,
): Promise<void> {
  return appendAudit(em, {
    actorType: 'staff',
    actorId: actor.staffUserId,
    accountId: target.accountId ?? null,
    action,
    targetType: target.type,
    targetId: target.id,
    details: { ...details, staffSessionId: actor.staffSessionId, staffRole: actor.role },
  });
}

export type ChainVerdict =
  | { ok: true; entries: number; checkpointEntries: number; firstKeptSeq?: number }
  | { ok: false; entries: number; brokenAtSeq: string; reason: string };

/**
 * Checkpoints the current head whatever AUDIT_CHECKPOINT_EVERY says: taken before a retention cut,
 * so the entries that stay are pinned by a checkpoint before any are removed.
 */
export async function checkpointAuditHead(em: EntityManager, now = new Date()): Promise<void> {
  if (!signer) throw new Error('audit log used before configureAuditLog');
  await em.execute('select pg_advisory_xact_lock(?)', [AUDIT_APPEND_LOCK]);
  const [last] = await em.execute<{ seq: string; mac: Buffer }[]>(
    'select seq::text as seq, mac from audit_log order by audit_log.seq desc limit 1',
  );
  if (!last) return;
  await em.execute(
    `insert into audit_checkpoints (entries, head_mac, mac_key_id, mac, at) values (?, ?, ?, ?, ?) on conflict (entries) do nothing`,
    [last.seq, last.mac, signer.keyId, checkpointMac(signer.key, last.seq, last.mac), now],
  );
}

/**
 * The last seq of the oldest run of entries written at or before `cutoff`, at most `limit` of them
 * and never the head; null when there is nothing to cut.
 */
export async function auditCutPoint(em: EntityManager, cutoff: Date, limit: number): Promise<string | null> {
  const rows = await em.execute<{ seq: string; at_ms: string; head: string }[]>(
    `select seq::text as seq, (extract(epoch from at) * 1000)::bigint::text as at_ms,
            (select max(seq) from audit_log)::text as head
     from audit_log order by seq limit ?`,
    [limit],
  );
  let through: string | null = null;
  for (const row of rows) {
    if (Number(row.at_ms) > cutoff.getTime() || row.seq === row.head) break;
    through = row.seq;
  }
  return through;
}

/**
 * Removes entries up to `throughSeq` through the owner's audit_log_retention_cut (which refuses
 * entries younger than 7 years and the head), recording the MAC the kept chain starts from under a
 * MAC of our key: the verifier starts there, and a prefix removed any other way still shows.
 */
export async function cutAuditPrefix(em: EntityManager, throughSeq: string): Promise<number> {
  if (!signer) throw new Error('audit log used before configureAuditLog');
  const [row] = await em.execute<{ mac: Buffer }[]>('select mac from audit_log where seq = ?', [throughSeq]);
  if (!row) return 0;
  const firstKept = String(BigInt(throughSeq) + 1n);
  const [cut] = await em.execute<{ removed: string }[]>('select audit_log_retention_cut(?, ?, ?, ?)::text as removed', [
    throughSeq,
    row.mac,
    signer.keyId,
    cutMac(signer.key, firstKept, row.mac),
  ]);
  return Number(cut!.removed);
}

/** Indexes the MAC keys a verifier may use (the current MASTER_KEY's and any earlier ones kept for it). */
function keysById(keys: Buffer[]): Map<string, Buffer> {
  return new Map(keys.map((k) => [auditMacKeyId(k), k]));
}

/**
 * Recomputes every MAC in order, then checks the chain against its latest checkpoint: the first
 * mismatch names the entry that was altered or removed; a chain shorter than a checkpoint was cut.
 */
export async function verifyAuditChain(em: EntityManager, macKeys: Buffer[], pageSize = 5000): Promise<ChainVerdict> {
  const keys = keysById(macKeys);
  const [checkpoint] = await em.execute<CheckpointRow[]>('select * from audit_checkpoints order by entries desc limit 1');
  let prevMac: Buffer = GENESIS;
  let expectedSeq = 1n;
  let entries = 0;
  // After a retention cut the chain starts at the cut's first kept entry, from the MAC the cut recorded.
  const [cut] = await em.execute<{ first_kept_seq: string; prev_mac: Buffer; mac_key_id: string; mac: Buffer }[]>(
    'select first_kept_seq::text as first_kept_seq, prev_mac, mac_key_id, mac from audit_retention_cuts order by first_kept_seq desc limit 1',
  );
  if (cut) {
    const cutKey = keys.get(cut.mac_key_id);
    if (!cutKey || !cutMac(cutKey, cut.first_kept_seq, cut.prev_mac).equals(cut.mac)) {
      return { ok: false, entries: 0, brokenAtSeq: cut.first_kept_seq, reason: 'retention cut does not match its MAC' };
    }
    prevMac = cut.prev_mac;
    expectedSeq = BigInt(cut.first_kept_seq);
    entries = Number(cut.first_kept_seq) - 1;
  }
  let macAtCheckpoint: Buffer | undefined;
  for (;;) {
    const rows = await em.execute<AuditRow[]>(
      `select *, (extract(epoch from at) * 1000)::bigint::text as at_ms from audit_log where seq >= ? order by seq limit ?`,
      [String(expectedSeq), pageSize],
    );
    for (const row of rows) {
      const seq = BigInt(row.seq);
      const broken = (reason: string): ChainVerdict => ({ ok: false, entries, brokenAtSeq: row.seq, reason });
      if (seq !== expectedSeq) return { ok: false, entries, brokenAtSeq: String(expectedSeq), reason: 'entry missing' };
      if (row.mac_key_id === null) return broken('entry is not MAC-keyed');
      const key = keys.get(row.mac_key_id);
      if (!key) return broken('entry MAC key is unknown: its MASTER_KEY is not configured');
      if (!row.prev_mac.equals(prevMac)) return broken('previous MAC does not match');
      if (!entryMac(key, prevMac, row).equals(row.mac)) return broken('entry content does not match its MAC');
      if (checkpoint && row.seq === checkpoint.entries) macAtCheckpoint = row.mac;
      prevMac = row.mac;
      expectedSeq = seq + 1n;
      entries += 1;
    }
    if (rows.length < pageSize) break;
  }
  const kept = cut ? { firstKeptSeq: Number(cut.first_kept_seq) } : {};
  if (!checkpoint) return { ok: true, entries, checkpointEntries: 0, ...kept };
  const checkpointKey = keys.get(checkpoint.mac_key_id);
  if (!checkpointKey || !checkpointMac(checkpointKey, checkpoint.entries, checkpoint.head_mac).equals(checkpoint.mac)) {
    return { ok: false, entries, brokenAtSeq: checkpoint.entries, reason: 'checkpoint does not match its MAC' };
  }
  if (BigInt(entries) < BigInt(checkpoint.entries)) {
    return {
      ok: false,
      entries,
      brokenAtSeq: String(entries + 1),
      reason: `tail truncated: a checkpoint recorded ${checkpoint.entries} entries`,
    };
  }
  if (!macAtCheckpoint?.equals(checkpoint.head_mac)) {
    return { ok: false, entries, brokenAtSeq: checkpoint.entries, reason: 'entry does not match its checkpoint' };
  }
  return { ok: true, entries, checkpointEntries: Number(checkpoint.entries), ...kept };
}

/** The chain's head as anchored outside the database: a count and a MAC, nothing about who did what. */
export interface AuditHead {
  /** Entries in the chain (seq runs 1..entries without gaps in a chain that verifies). */
  entries: number;
  /** Hex MAC of the last entry; empty when the log is empty. */
  headMac: string;
  macKeyId: string | null;
}

export async function readAuditHead(em: EntityManager): Promise<AuditHead> {
  const [head] = await em.execute<{ seq: string; mac: Buffer; mac_key_id: string | null }[]>(
    // Ordered by the bigint column, not by the text it is returned as ('9' sorts after '40').
    'select seq::text as seq, mac, mac_key_id from audit_log order by audit_log.seq desc limit 1',
  );
  if (!head) return { entries: 0, headMac: '', macKeyId: null };
  return { entries: Number(head.seq), headMac: head.mac.toString('hex'), macKeyId: head.mac_key_id };
}

/** The stored MAC of entry `seq`, or undefined when there is no such entry. */
export async function auditMacAt(em: EntityManager, seq: number): Promise<Buffer | undefined> {
  const [row] = await em.execute<{ mac: Buffer }[]>('select mac from audit_log where seq = ?', [String(seq)]);
  return row?.mac;
}
