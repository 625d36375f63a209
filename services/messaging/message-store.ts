import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import type { CarrierId, MessageStatus } from '../../providers/sms/carrier';
import type { MessageDirection, MessageKind } from '../../db/entities/message';
import { isUuid } from '../../lib/ids';
import { SENDING_SUSPENDED_SQL } from '../billing/sending-suspension';
import { SPEND_CAP_REACHED_SQL } from '../billing/spend-cap-store';
import { VERIFIED_OWNER_SQL } from '../holders/memberships';
import { statusRank, statusRankSql } from './message-status';
import type { KeyRow } from '../keyring';

/** The hand-written SQL of messages: bulk outbox writes, send checks, suppression, receipts. */

export interface MessageRow {
  id: string;
  accountId: string;
  direction: MessageDirection;
  kind: MessageKind;
  recipientHash: Buffer;
  recipientPii: Buffer;
  sender: string;
  body: Buffer;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  status: 'queued' | 'received';
  carrier?: CarrierId | null;
  carrierMessageId?: string | null;
  campaignId?: string | null;
  /** A campaign message's end of its permitted window (null: one-off, no window). */
  sendBefore?: Date | null;
  /** A keyword reply: the keyword it answers (the HELP budget counts them). */
  answersKeyword?: 'stop' | 'start' | 'help' | null;
  createdAt: Date;
}

/** The columns of a row as the writes take them: the body goes to `message_bodies`, the rest to `messages`. */
const INSERT_COLUMNS =
  '(id, account_id, direction, kind, recipient_hash, recipient_pii, sender, body, encoding, segments, status, carrier, carrier_message_id, campaign_id, send_before, answers_keyword, next_attempt_at, created_at, updated_at)';
const MESSAGE_COLUMNS = INSERT_COLUMNS.replace(' body,', '');
const INSERT_COLUMN_COUNT = INSERT_COLUMNS.split(',').length;

function rowValues(r: MessageRow): unknown[] {
  const queued = r.status === 'queued';
  return [
    r.id,
    r.accountId,
    r.direction,
    r.kind,
    r.recipientHash,
    r.recipientPii,
    r.sender,
    r.body,
    r.encoding,
    r.segments,
    r.status,
    r.carrier ?? null,
    r.carrierMessageId ?? null,
    r.campaignId ?? null,
    r.sendBefore ?? null,
    r.answersKeyword ?? null,
    queued ? r.createdAt : null,
    r.createdAt,
    r.createdAt,
  ];
}

/**
 * One statement writing both halves of each row of `v` (a CTE of INSERT_COLUMNS): the message where
 * `where` holds (and, with `onConflict`, is new), then the body of each message written. Returns the ids written.
 */
function insertBothSql(v: string, where = 'true', onConflict = ''): string {
  return `${v},
     written as (insert into messages ${MESSAGE_COLUMNS} select ${MESSAGE_COLUMNS.slice(1, -1)} from v where ${where}${onConflict} returning id)
     insert into message_bodies (message_id, account_id, body, created_at)
     select v.id, v.account_id, v.body, v.created_at from v join written w on w.id = v.id
     returning message_id as id`;
}

/** `values` rows with each placeholder cast to its column's type (a CTE does not infer them from the table). */
function typedTuples(rowCount: number, placeholder: (r: number, c: number) => string): string {
  return Array.from(
    { length: rowCount },
    (_, r) => `(${INSERT_COLUMN_TYPES.map((type, c) => `${placeholder(r, c)}::${type}`).join(', ')})`,
  ).join(', ');
}

/** Messages written inside the caller's transaction (keyword replies), in one statement. */
export async function insertMessages(em: EntityManager, rows: MessageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.execute(insertBothSql(`with v ${INSERT_COLUMNS} as (values ${typedTuples(rows.length, () => '?')})`), rows.flatMap(rowValues));
}

/** Most rows one pooled insert takes: 19 parameters each, under Postgres's 65,535 per statement. */
export const POOLED_INSERT_MAX_ROWS = 3000;
/** Inserts of up to this many rows run as named statements (one text per row count, per connection). */
const NAMED_INSERT_MAX_ROWS = 8;

/** Each column's type, so the rows can be selected (and filtered) before they are inserted. */
const INSERT_COLUMN_TYPES = [
  'uuid',
  'uuid',
  'text',
  'text',
  'bytea',
  'bytea',
  'text',
  'bytea',
  'text',
  'int',
  'text',
  'text',
  'text',
  'uuid',
  'timestamptz',
  'text',
  'timestamptz',
  'timestamptz',
  'timestamptz',
] as const;
// Three branches once added a column each: a list that drifts from the columns must fail at load, not per insert.
if (INSERT_COLUMN_TYPES.length !== INSERT_COLUMN_COUNT) throw new Error('message-store: INSERT_COLUMN_TYPES does not match INSERT_COLUMNS');

/**
 * The outbox write of POST /v1/messages(/batch) and of campaign pages: one statement, straight on pg
 * (no ORM on the hot path). `ignoreExisting`: a row whose id is already there is left alone. A row
 * of an account that is not active (terminated, deleted) is not written: the check is in this
 * statement, so no send slips in beside a termination. Returns the ids written.
 */
/**
 * An Idempotency-Key claim a message's insert completes in the same statement: the key then
 * answers with this message from the moment the message exists, so no crash or outage between the
 * two can leave a written message whose key a retry takes over (a duplicate). A claim taken over
 * meanwhile (its lease passed) stops its message from being written: the retry that took it writes its own.
 */
export interface ClaimCompletion {
  messageId: string;
  accountId: string;
  key: string;
  claimId: string;
}

export async function insertMessagesPooled(
  db: Pool | PoolClient,
  rows: MessageRow[],
  options: { ignoreExisting?: boolean; claims?: ClaimCompletion[] } = {},
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  if (rows.length > POOLED_INSERT_MAX_ROWS) throw new Error(`insertMessagesPooled takes at most ${POOLED_INSERT_MAX_ROWS} rows`);
  const width = INSERT_COLUMN_COUNT;
  const tuples = typedTuples(rows.length, (r, c) => `$${r * width + c + 1}`);
  const onConflict = options.ignoreExisting ? ' on conflict (id) do nothing' : '';
  const claims = options.claims ?? [];
  const c = rows.length * width;
  // Small inserts (the API's at low load) are named, so each connection plans their text once.
  const name =
    rows.length <= NAMED_INSERT_MAX_ROWS ? `insert_messages_${rows.length}${options.ignoreExisting ? '_ignore' : ''}` : undefined;
  const { rows: written } = await db.query<{ id: string }>({
    name,
    text: `with claims (message_id, account_id, key, claim_id) as (
       select * from unnest($${c + 1}::uuid[], $${c + 2}::uuid[], $${c + 3}::text[], $${c + 4}::uuid[])
     ),
     completed as (
       update idempotency_keys k
          set status_code = 202, resource_type = 'message', resource_id = claims.message_id::text, locked_until = null
         from claims
        where k.account_id = claims.account_id and k.key = claims.key and k.claim_id = claims.claim_id and k.status_code is null
          and exists (select 1 from accounts a where a.id = claims.account_id and a.status = 'active')
       returning claims.message_id
     )${insertBothSql(
       `, v ${INSERT_COLUMNS} as (values ${tuples})`,
       `exists (select 1 from accounts a where a.id = v.account_id and a.status = 'active')
        and (v.id not in (select message_id from claims) or v.id in (select message_id from completed))`,
       onConflict,
     )}`,
    values: [
      ...rows.flatMap(rowValues),
      claims.map((x) => x.messageId),
      claims.map((x) => x.accountId),
      claims.map((x) => x.key),
      claims.map((x) => x.claimId),
    ],
  });
  return new Set(written.map((r) => r.id));
}

/**
 * An inbound message, once per carrier message id (a carrier re-delivering the same message under
 * another event id is not stored twice). Returns whether it was new.
 */
export async function insertInboundOnce(em: EntityManager, row: MessageRow): Promise<boolean> {
  // A month-partitioned table cannot hold a unique index on the carrier's id: a transaction lock on it
  // serialises two deliveries of the same message, and the insert (its own statement, so its snapshot
  // is taken after the lock) finds the first.
  await em.execute(`select pg_advisory_xact_lock(hashtextextended(?::text || ':' || ?::text, 0))`, [
    row.carrier ?? '',
    row.carrierMessageId ?? '',
  ]);
  const inserted = await em.execute<{ id: string }[]>(
    insertBothSql(
      `with v ${INSERT_COLUMNS} as (values ${typedTuples(1, () => '?')})`,
      'not exists (select 1 from messages m where m.carrier = v.carrier and m.carrier_message_id = v.carrier_message_id)',
    ),
    rowValues(row),
  );
  return inserted.length > 0;
}

export type RecipientBlock = 'opted_out' | 'restricted';
type AccountRefusal = 'unverified_owner' | 'account_suspended' | 'spend_cap';
/** Which refusal is said when several hold: what the customer must do first. */
const REFUSAL_ORDER: readonly AccountRefusal[] = ['unverified_owner', 'account_suspended', 'spend_cap'];

export interface SendChecks {
  /** The account's sender numbers among those asked about. */
  senders: Set<string>;
  /** Recipient hash (hex) → why it may not be messaged; an opt-out wins over a restriction. */
  blocked: Map<string, RecipientBlock>;
  /** Why the account may not send at all now: its owner has not verified their email, its sending is suspended for non-payment, or it reached its spend cap. */
  accountRefusal: AccountRefusal | null;
  /** The account's data key row (DataKeyring.keyFromRow), read by the same statement. */
  dataKeyRow: KeyRow | undefined;
}

/** The data key row as the checks' union carries it (JSON: its bytes base64, its timestamp as text). */
interface KeyRowJson {
  wrapped_key: string | null;
  key_version: number;
  generation: number;
  destroyed_at: string | null;
}

/** Sender ownership, opt-outs, restrictions and the account's data key for a whole batch in one round trip. */
export async function sendChecks(
  pool: Pool,
  accountId: string,
  senders: string[],
  recipientHashes: Buffer[],
  now: Date,
): Promise<SendChecks> {
  // One round trip on the send path: the account's gates ride along with the per-recipient checks.
  // A named (prepared) statement: planning this union cost three times what running it does.
  const { rows } = await pool.query<{
    kind: 'sender' | RecipientBlock | AccountRefusal | 'data_key';
    value: string;
    key_row: KeyRowJson | null;
  }>({
    name: 'send_checks',
    text: `select 'sender' as kind, phone_e164 as value, null::json as key_row from sender_numbers
      where account_id = $1 and phone_e164 = any($2::text[]) and status in ('failover_pending', 'active')
     union all
     select 'restricted', encode(phone_hash, 'hex'), null from recipient_restrictions where account_id = $1 and phone_hash = any($3::bytea[])
     union all
     select 'opted_out', encode(phone_hash, 'hex'), null from opt_outs where account_id = $1 and phone_hash = any($3::bytea[])
     union all
     select 'unverified_owner', '', null where not ${VERIFIED_OWNER_SQL('$1::uuid')}
     union all
     select 'account_suspended', '', null where ${SENDING_SUSPENDED_SQL('$1::uuid')}
     union all
     select 'spend_cap', '', null where ${SPEND_CAP_REACHED_SQL('$1::uuid', '$4::timestamptz')}
     union all
     select 'data_key', '', json_build_object('wrapped_key', encode(wrapped_key, 'base64'), 'key_version', key_version,
                                              'generation', generation, 'destroyed_at', destroyed_at)
       from account_data_keys where account_id = $1`,
    values: [accountId, senders, recipientHashes, now],
  });
  const checks: SendChecks = { senders: new Set(), blocked: new Map(), accountRefusal: null, dataKeyRow: undefined };
  for (const row of rows) {
    if (row.kind === 'sender') checks.senders.add(row.value);
    else if (row.kind === 'data_key') checks.dataKeyRow = keyRowFromJson(row.key_row!);
    else if (row.kind === 'opted_out' || row.kind === 'restricted') {
      if (row.kind === 'opted_out' || !checks.blocked.has(row.value)) checks.blocked.set(row.value, row.kind);
    } else if (checks.accountRefusal === null || REFUSAL_ORDER.indexOf(row.kind) < REFUSAL_ORDER.indexOf(checks.accountRefusal)) {
      checks.accountRefusal = row.kind;
    }
  }
  return checks;
}

const keyRowFromJson = (r: KeyRowJson): KeyRow => ({
  wrapped_key: r.wrapped_key === null ? null : Buffer.from(r.wrapped_key, 'base64'),
  key_version: r.key_version,
  generation: r.generation,
  destroyed_at: r.destroyed_at === null ? null : new Date(r.destroyed_at),
});

/**
 * Suppresses the account's still-queued outbound messages to a number (not keyword replies: the STOP
 * confirmation goes to a number that just opted out). Claimed ones are re-checked by the send path
 * right before its carrier call. Returns the suppressed ids.
 */
export async function suppressQueuedTo(em: EntityManager, accountId: string, recipientHash: Buffer): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `update messages set status = 'suppressed', error_code = 'recipient_opted_out', updated_at = now()
      where account_id = ? and recipient_hash = ? and direction = 'outbound' and status = 'queued' and kind <> 'keyword_reply'
      returning id`,
    [accountId, recipientHash],
  );
  return rows.map((r) => r.id);
}

/** Serializes keyword handling per (account, number), so two STOPs at once confirm once. */
/**
 * Keyword replies of one kind from one of our numbers to one recipient in the last day. Race-safe
 * only under lockRecipient (the caller counts and inserts in one transaction holding it).
 */
export async function keywordRepliesToday(
  em: EntityManager,
  r: { accountId: string; sender: string; recipientHash: Buffer; keyword: 'stop' | 'start' | 'help' },
): Promise<number> {
  const [row] = await em.execute<{ n: number }[]>(
    `select count(*)::int as n from messages
      where account_id = ? and recipient_hash = ? and sender = ? and kind = 'keyword_reply' and answers_keyword = ?
        and created_at > now() - interval '24 hours'`,
    [r.accountId, r.recipientHash, r.sender, r.keyword],
  );
  return row!.n;
}

/** Whether a number is one of the platform's own (held by any account): keyword replies never go to one. */
export async function isPlatformNumber(em: EntityManager, e164: string): Promise<boolean> {
  const rows = await em.execute<{ one: number }[]>('select 1 as one from sender_numbers where phone_e164 = ? limit 1', [e164]);
  return rows.length > 0;
}

export async function lockRecipient(em: EntityManager, accountId: string, recipientHash: Buffer): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtextextended(?::text || ':' || encode(?::bytea, 'hex'), 6))`, [
    accountId,
    recipientHash,
  ]);
}

export interface ReceiptTarget {
  attemptId: string | null;
  attemptOutcome: string | null;
  messageId: string;
  accountId: string;
  status: MessageStatus;
}

/**
 * The attempt (and its message) a receipt is about: by our attempt id from the callback URL when the
 * carrier echoed it (the send's own answer may have been lost), else by the carrier's message id.
 * Rows are locked for the receipt's transaction.
 */
export async function findReceiptTarget(
  em: EntityManager,
  ref: { carrier: CarrierId; carrierMessageId: string; attemptId?: string | undefined; messageId?: string | undefined },
): Promise<ReceiptTarget | null> {
  type Row = { attempt_id: string | null; outcome: string | null; message_id: string; account_id: string; status: MessageStatus };
  // Ids from a callback URL are ours, but a URL is only text: anything that is not a UUID is not one of ours.
  const messageId = ref.messageId && isUuid(ref.messageId) ? ref.messageId : undefined;
  if (ref.attemptId && isUuid(ref.attemptId)) {
    const [row] = await em.execute<Row[]>(
      `select a.id as attempt_id, a.outcome, m.id as message_id, m.account_id, m.status
         from message_attempts a join messages m on m.id = a.message_id
        where a.id = ? and a.carrier = ? ${messageId ? 'and a.message_id = ?' : ''}
        for update of a, m`,
      [ref.attemptId, ref.carrier, ...(messageId ? [messageId] : [])],
    );
    if (row) return toTarget(row);
  }
  const [byAttempt] = await em.execute<Row[]>(
    `select a.id as attempt_id, a.outcome, m.id as message_id, m.account_id, m.status
       from message_attempts a join messages m on m.id = a.message_id
      where a.carrier = ? and a.carrier_message_id = ?
      order by a.created_at desc limit 1
      for update of a, m`,
    [ref.carrier, ref.carrierMessageId],
  );
  if (byAttempt) return toTarget(byAttempt);
  const [byMessage] = await em.execute<Row[]>(
    `select null as attempt_id, null as outcome, id as message_id, account_id, status
       from messages where carrier = ? and carrier_message_id = ? for update`,
    [ref.carrier, ref.carrierMessageId],
  );
  return byMessage ? toTarget(byMessage) : null;
}

function toTarget(row: {
  attempt_id: string | null;
  outcome: string | null;
  message_id: string;
  account_id: string;
  status: MessageStatus;
}) {
  return {
    attemptId: row.attempt_id,
    attemptOutcome: row.outcome,
    messageId: row.message_id,
    accountId: row.account_id,
    status: row.status,
  };
}

/** A receipt proves the carrier took the attempt: pending → accepted, ambiguous → confirmed_sent; nothing else changes. */
export async function confirmAttemptByReceipt(em: EntityManager, attemptId: string, carrierMessageId: string): Promise<string | null> {
  const [row] = await em.execute<{ outcome: string }[]>(
    `update message_attempts
        set outcome = case outcome when 'pending' then 'accepted' else 'confirmed_sent' end,
            carrier_message_id = coalesce(carrier_message_id, ?), completed_at = coalesce(completed_at, now()), reconcile_after = null
      where id = ? and outcome in ('pending', 'ambiguous')
      returning outcome`,
    [carrierMessageId, attemptId],
  );
  return row?.outcome ?? null;
}

/** Fills in a carrier id the attempt does not have yet (a receipt after an ambiguous send). */
export async function recordAttemptCarrierId(em: EntityManager, attemptId: string, carrierMessageId: string): Promise<void> {
  await em.execute('update message_attempts set carrier_message_id = ? where id = ? and carrier_message_id is null', [
    carrierMessageId,
    attemptId,
  ]);
}

/**
 * Moves a message forward to the receipt's status, never back (the rank guard); the first carrier id
 * and carrier it was sent through stay. Returns the new status, or null when nothing moved.
 */
export async function advanceMessage(
  em: EntityManager,
  update: { messageId: string; carrier: CarrierId; carrierMessageId: string; status: MessageStatus; errorCode: string | null; at: Date },
): Promise<MessageStatus | null> {
  const failed = update.status === 'failed' || update.status === 'undelivered';
  const [row] = await em.execute<{ status: MessageStatus }[]>(
    `update messages
        set status = ?,
            carrier = case when carrier_message_id is null then ? else carrier end,
            carrier_message_id = coalesce(carrier_message_id, ?),
            sent_at = coalesce(sent_at, ?::timestamptz),
            delivered_at = case when ?::text = 'delivered' then coalesce(delivered_at, ?::timestamptz) else delivered_at end,
            failed_at = case when ?::boolean then coalesce(failed_at, ?::timestamptz) else failed_at end,
            error_code = case when ?::boolean then ?::text else error_code end,
            updated_at = now()
      where id = ? and ${statusRankSql('status')} < ?::int
      returning status`,
    [
      update.status,
      update.carrier,
      update.carrierMessageId,
      update.at,
      update.status,
      update.at,
      failed,
      update.at,
      failed,
      update.errorCode,
      update.messageId,
      statusRank(update.status),
    ],
  );
  return row?.status ?? null;
}

/** Replay protection for provider webhooks: true the first time an event id is seen. */
export async function recordProviderEvent(em: EntityManager, vendor: CarrierId, eventId: string): Promise<boolean> {
  const rows = await em.execute<{ event_id: string }[]>(
    `insert into provider_webhook_events (vendor, event_id, received_at) values (?, ?, now())
     on conflict (vendor, event_id) do nothing returning event_id`,
    [vendor, eventId],
  );
  return rows.length > 0;
}
