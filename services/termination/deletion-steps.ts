import { ZERO_UUID } from '../../lib/ids';
import type { PoolClient } from 'pg';

/**
 * Every class of an account's personal data, as one deletion step each, in an order that never
 * leaves a child pointing at a deleted parent. A step works in batches of bounded statements that
 * walk an index by key (a cursor), never re-scanning what an earlier batch removed; the cursor is
 * the step's checkpoint (account_deletion_checkpoints), so a retried or killed activity resumes.
 *
 * `delete` removes the rows; `scrub` keeps the row and clears its personal columns (what the
 * retention policy keeps: message metadata without recipient or body, opt-outs as a keyed hash).
 */
export interface BatchResult {
  affected: number;
  /** Where the next batch starts; null when the step has nothing left. */
  cursor: string | null;
}

export interface DeletionStep {
  name: string;
  /** The table whose rows the step removes or scrubs. */
  table: string;
  mode: 'delete' | 'scrub';
  /** Steps of different lanes touch unrelated tables and run side by side; a lane runs in order. */
  lane: 'messages' | 'main';
  batch(client: PoolClient, accountId: string, cursor: string | null, limit: number): Promise<BatchResult>;
}

/**
 * Tables with an (account_id, id) index: a batch takes the next `limit` ids after the cursor and
 * applies `action` (a `delete from t using batch` or an `update t ... from batch`).
 */
/** A CTE beside a batch of messages: their bodies go in the same statement (message_bodies has no cascading key). */
const BODIES_OF_BATCH_GO = 'bodies_gone as (delete from message_bodies x using batch b where x.message_id = b.id),';

function byAccountId(
  name: string,
  table: string,
  mode: DeletionStep['mode'],
  action: string,
  filter = 'true',
  alongside = '',
): DeletionStep {
  return {
    name,
    table,
    mode,
    lane: table === 'messages' ? 'messages' : 'main',
    async batch(client, accountId, cursor, limit) {
      const { rows } = await client.query<{ n: number; last: string | null }>(
        `with batch as (
           select id from ${table} where account_id = $1 and id > $2::uuid and ${filter} order by id limit $3
         ), ${alongside} done as (${action} returning 1)
         select (select count(*)::int from done) as n, (select id::text from batch order by id desc limit 1) as last`,
        [accountId, cursor ?? ZERO_UUID, limit],
      );
      const { n, last } = rows[0]!;
      return { affected: n, cursor: last };
    },
  };
}

const deleteById = (table: string) => `delete from ${table} t using batch b where t.id = b.id`;

/**
 * Child tables keyed by (parent, key) with no account index: walks the account's parents in id
 * order and, within one, the children by key. The cursor is `<parentId>/<key>`.
 */
function byParent(
  name: string,
  table: string,
  parent: { table: string; column: string },
  key: { column: string; type: 'uuid' | 'int' | 'text' },
): DeletionStep {
  const first = key.type === 'int' ? '-1' : key.type === 'uuid' ? ZERO_UUID : '';
  return {
    name,
    table,
    mode: 'delete',
    lane: 'main',
    async batch(client, accountId, cursor, limit) {
      const slash = cursor?.indexOf('/') ?? -1;
      let parentId = cursor && slash > 0 ? cursor.slice(0, slash) : null;
      let after = cursor && slash > 0 ? cursor.slice(slash + 1) : first;
      for (;;) {
        if (parentId === null) {
          const { rows } = await client.query<{ id: string }>(
            `select id::text as id from ${parent.table} where account_id = $1 and id > $2::uuid order by id limit 1`,
            [accountId, ZERO_UUID],
          );
          if (rows.length === 0) return { affected: 0, cursor: null };
          parentId = rows[0]!.id;
          after = first;
        }
        const { rows } = await client.query<{ n: number; last: string | null }>(
          `with batch as (
             select ${key.column} as k from ${table} where ${parent.column} = $1 and ${key.column} > $2::${key.type}
             order by ${key.column} limit $3
           ), done as (delete from ${table} t using batch b where t.${parent.column} = $1 and t.${key.column} = b.k returning 1)
           select (select count(*)::int from done) as n, (select k::text from batch order by k desc limit 1) as last`,
          [parentId, after, limit],
        );
        const { n, last } = rows[0]!;
        if (n > 0) return { affected: n, cursor: `${parentId}/${last}` };
        // This parent has no children left: the next one (the parents themselves go in a later step).
        const next = await client.query<{ id: string }>(
          `select id::text as id from ${parent.table} where account_id = $1 and id > $2::uuid order by id limit 1`,
          [accountId, parentId],
        );
        if (next.rows.length === 0) return { affected: 0, cursor: null };
        parentId = next.rows[0]!.id;
        after = first;
      }
    },
  };
}

/** Tables keyed by (account_id, key) without an id column. */
function byAccountKey(name: string, table: string, key: { column: string; type: 'text' | 'bytea' }): DeletionStep {
  return {
    name,
    table,
    mode: 'delete',
    lane: 'main',
    async batch(client, accountId, cursor, limit) {
      const after = cursor === null ? (key.type === 'bytea' ? '\\x' : '') : cursor;
      const { rows } = await client.query<{ n: number; last: string | null }>(
        `with batch as (
           select ${key.column} as k from ${table} where account_id = $1 and ${key.column} > $2::${key.type} order by ${key.column} limit $3
         ), done as (delete from ${table} t using batch b where t.account_id = $1 and t.${key.column} = b.k returning 1)
         select (select count(*)::int from done) as n,
                (select ${key.type === 'bytea' ? "'\\x' || encode(k, 'hex')" : 'k'} from batch order by k desc limit 1) as last`,
        [accountId, after, limit],
      );
      const { n, last } = rows[0]!;
      return { affected: n, cursor: last };
    },
  };
}

/** Small per-account tables (a handful of rows): ctid batches until none is left. */
/**
 * The account's holders: an identity that belongs to no other account is deleted (its memberships,
 * links and sessions cascade); one that still belongs to another account keeps its row and loses
 * only this account's membership. Step name `users`, as before identities were shared.
 */
function holderIdentities(): DeletionStep {
  return {
    name: 'users',
    table: 'users',
    mode: 'delete',
    lane: 'main',
    async batch(client, accountId, _cursor, limit) {
      const gone = await client.query(
        `delete from users where id = any (array(
           select m.user_id from account_memberships m where m.account_id = $1
              and not exists (select 1 from account_memberships o where o.user_id = m.user_id and o.account_id <> $1)
            limit $2))`,
        [accountId, limit],
      );
      const left = await client.query(
        `delete from account_memberships where ctid = any (array(select ctid from account_memberships where account_id = $1 limit $2))`,
        [accountId, limit],
      );
      const n = (gone.rowCount ?? 0) + (left.rowCount ?? 0);
      return { affected: n, cursor: n === 0 ? null : 'more' };
    },
  };
}

function small(name: string, table: string): DeletionStep {
  return {
    name,
    table,
    mode: 'delete',
    lane: 'main',
    async batch(client, accountId, _cursor, limit) {
      const res = await client.query(
        `delete from ${table} where ctid = any (array(select ctid from ${table} where account_id = $1 limit $2))`,
        [accountId, limit],
      );
      const n = res.rowCount ?? 0;
      return { affected: n, cursor: n < limit ? null : 'more' };
    },
  };
}

export const DELETION_STEPS: readonly DeletionStep[] = [
  byParent('list_memberships', 'list_memberships', { table: 'lists', column: 'list_id' }, { column: 'contact_id', type: 'uuid' }),
  byParent(
    'campaign_recipients',
    'campaign_recipients',
    { table: 'campaigns', column: 'campaign_id' },
    { column: 'contact_id', type: 'uuid' },
  ),
  byParent(
    'contact_import_chunks',
    'contact_import_chunks',
    { table: 'contact_imports', column: 'import_id' },
    { column: 'chunk_no', type: 'int' },
  ),
  byParent(
    'contact_import_errors',
    'contact_import_errors',
    { table: 'contact_imports', column: 'import_id' },
    { column: 'row_no', type: 'int' },
  ),
  byParent(
    'contact_import_chunk_results',
    'contact_import_chunk_results',
    { table: 'contact_imports', column: 'import_id' },
    {
      column: 'chunk_no',
      type: 'int',
    },
  ),
  // Attempts go with their delivery (on delete cascade, by the attempts' primary key).
  byParent(
    'webhook_deliveries',
    'webhook_deliveries',
    { table: 'webhook_endpoints', column: 'endpoint_id' },
    { column: 'event_id', type: 'uuid' },
  ),
  // Inbound messages are the recipients' own words and number: gone entirely, with their bodies.
  byAccountId('inbound_messages', 'messages', 'delete', deleteById('messages'), `direction = 'inbound'`, BODIES_OF_BATCH_GO),
  // Outbound messages keep their metadata (status, timestamps, carrier, segments: billing and
  // disputes) but lose the recipient and the body.
  byAccountId(
    'message_recipients_and_bodies',
    'messages',
    'scrub',
    `update messages t set recipient_hash = null, recipient_pii = null, claim_token = null
     from batch b where t.id = b.id`,
    `direction = 'outbound'`,
    BODIES_OF_BATCH_GO,
  ),
  // Data subject requests stay as the record that they were answered, without who or what they were about.
  byParent(
    'data_subject_request_extensions',
    'data_subject_request_extensions',
    { table: 'data_subject_requests', column: 'request_id' },
    { column: 'id', type: 'uuid' },
  ),
  byAccountId(
    'data_subject_request_subjects',
    'data_subject_requests',
    'scrub',
    `update data_subject_requests t set subject_contact_id = null, subject_phone_hash = null, subject_pii = null,
       requester_pii = null, completion_note = null
     from batch b where t.id = b.id`,
    `(subject_contact_id is not null or subject_phone_hash is not null or subject_pii is not null
      or requester_pii is not null or completion_note is not null)`,
  ),
  byAccountId('contacts', 'contacts', 'delete', deleteById('contacts')),
  byAccountId('lists', 'lists', 'delete', deleteById('lists')),
  byAccountId('contact_imports', 'contact_imports', 'delete', deleteById('contact_imports')),
  byAccountId('campaigns', 'campaigns', 'delete', deleteById('campaigns')),
  byAccountId('webhook_endpoints', 'webhook_endpoints', 'delete', deleteById('webhook_endpoints')),
  byAccountKey('idempotency_keys', 'idempotency_keys', { column: 'key', type: 'text' }),
  byAccountKey('recipient_restrictions', 'recipient_restrictions', { column: 'phone_hash', type: 'bytea' }),
  // Opt-outs are honoured for ever: the keyed hash stays, the sealed number goes.
  byAccountId('opt_out_numbers', 'opt_outs', 'scrub', `update opt_outs t set phone_pii = null from batch b where t.id = b.id`),
  byAccountId('sender_numbers', 'sender_numbers', 'delete', deleteById('sender_numbers')),
  small('messaging_settings', 'messaging_settings'),
  small('customer_notices', 'customer_notices'),
  small('subprocessor_objections', 'subprocessor_objections'),
  // A notice's delivery record stays (the breach register shows it was sent); the holder's address goes.
  {
    name: 'notice_delivery_addresses',
    table: 'notice_deliveries',
    mode: 'scrub',
    lane: 'main',
    async batch(client, accountId, _cursor, limit) {
      const res = await client.query(
        `update notice_deliveries set email = '' where ctid = any (array(
           select ctid from notice_deliveries where recipient_kind = 'account' and recipient_id = $1 and email <> '' limit $2))`,
        [accountId, limit],
      );
      const n = res.rowCount ?? 0;
      return { affected: n, cursor: n < limit ? null : 'more' };
    },
  },
  // Billing records stay 7 years (invoices, card changes, credits: SPEC §5); the card's display
  // fields on them and on the billing state go, so nothing of the holder's card outlives the account.
  byAccountId(
    'billing_record_cards',
    'billing_records',
    'scrub',
    `update billing_records t set card_brand = null, card_last4 = null, card_exp_month = null, card_exp_year = null, card_country = null
     from batch b where t.id = b.id`,
    `(card_brand is not null or card_last4 is not null or card_exp_month is not null or card_exp_year is not null or card_country is not null)`,
  ),
  {
    name: 'billing_state_card',
    table: 'account_billing',
    mode: 'scrub',
    lane: 'main',
    async batch(client, accountId) {
      const res = await client.query(
        `update account_billing set payment_method_id = null, card_brand = null, card_last4 = null, card_exp_month = null,
                card_exp_year = null, card_country = null, updated_at = now()
          where account_id = $1 and (payment_method_id is not null or card_brand is not null or card_last4 is not null)`,
        [accountId],
      );
      return { affected: res.rowCount ?? 0, cursor: null };
    },
  },
  small('sessions', 'sessions'),
  byAccountId('api_keys', 'api_keys', 'delete', deleteById('api_keys')),
  holderIdentities(),
];

/** The steps by lane, each lane in order: what the workflow runs side by side. */
export const deletionLanes = (): string[][] =>
  (['main', 'messages'] as const).map((lane) => DELETION_STEPS.filter((s) => s.lane === lane).map((s) => s.name));

/**
 * What "personal data left" means per table, for the counts before and after: every row of a
 * deleted table; the rows of a kept table that still hold a personal column.
 */
export const PERSONAL_ROWS: Readonly<Record<string, string>> = {
  contacts: 'select count(*)::bigint from contacts where account_id = $1',
  data_subject_requests: `select count(*)::bigint from data_subject_requests where account_id = $1
      and (subject_contact_id is not null or subject_phone_hash is not null or subject_pii is not null
           or requester_pii is not null or completion_note is not null)`,
  data_subject_request_extensions:
    'select count(*)::bigint from data_subject_request_extensions x join data_subject_requests r on r.id = x.request_id where r.account_id = $1',
  customer_notices: 'select count(*)::bigint from customer_notices where account_id = $1',
  subprocessor_objections: 'select count(*)::bigint from subprocessor_objections where account_id = $1',
  notice_deliveries: `select count(*)::bigint from notice_deliveries where recipient_kind = 'account' and recipient_id = $1 and email <> ''`,
  lists: 'select count(*)::bigint from lists where account_id = $1',
  list_memberships: 'select count(*)::bigint from list_memberships where account_id = $1',
  contact_imports: 'select count(*)::bigint from contact_imports where account_id = $1',
  contact_import_chunks:
    'select count(*)::bigint from contact_import_chunks c join contact_imports i on i.id = c.import_id where i.account_id = $1',
  contact_import_errors:
    'select count(*)::bigint from contact_import_errors c join contact_imports i on i.id = c.import_id where i.account_id = $1',
  contact_import_chunk_results:
    'select count(*)::bigint from contact_import_chunk_results c join contact_imports i on i.id = c.import_id where i.account_id = $1',
  campaigns: 'select count(*)::bigint from campaigns where account_id = $1',
  campaign_recipients: 'select count(*)::bigint from campaign_recipients where account_id = $1',
  messages: `select count(*)::bigint from messages where account_id = $1
               and (direction = 'inbound' or recipient_hash is not null or recipient_pii is not null)`,
  message_bodies: 'select count(*)::bigint from message_bodies where account_id = $1',
  webhook_endpoints: 'select count(*)::bigint from webhook_endpoints where account_id = $1',
  webhook_deliveries: 'select count(*)::bigint from webhook_deliveries where account_id = $1',
  webhook_delivery_attempts:
    'select count(*)::bigint from webhook_delivery_attempts a join webhook_endpoints e on e.id = a.endpoint_id where e.account_id = $1',
  idempotency_keys: 'select count(*)::bigint from idempotency_keys where account_id = $1',
  recipient_restrictions: 'select count(*)::bigint from recipient_restrictions where account_id = $1',
  opt_outs: 'select count(*)::bigint from opt_outs where account_id = $1 and phone_pii is not null',
  sender_numbers: 'select count(*)::bigint from sender_numbers where account_id = $1',
  messaging_settings: 'select count(*)::bigint from messaging_settings where account_id = $1',
  sessions: 'select count(*)::bigint from sessions where account_id = $1',
  api_keys: 'select count(*)::bigint from api_keys where account_id = $1',
  users: `select count(*)::bigint from users u join account_memberships m on m.user_id = u.id where m.account_id = $1
            and not exists (select 1 from account_memberships o where o.user_id = u.id and o.account_id <> $1)`,
  account_data_keys: 'select count(*)::bigint from account_data_keys where account_id = $1 and wrapped_key is not null',
  billing_records: `select count(*)::bigint from billing_records where account_id = $1
      and (card_brand is not null or card_last4 is not null or card_exp_month is not null or card_exp_year is not null or card_country is not null)`,
  account_billing: `select count(*)::bigint from account_billing where account_id = $1
      and (payment_method_id is not null or card_brand is not null or card_last4 is not null)`,
};

/** Kept after a deletion, and why (the certificate lists them). */
export const KEPT_CLASSES: readonly string[] = [
  'audit_log: the compliance audit log, 7 years',
  'opt_outs: keyed hashes of opted-out numbers (no number), for ever',
  'messages, message_attempts: outbound message metadata without recipient or body, 24 months',
  'accounts, account_data_keys: the account tombstone and the destroyed key record',
  'account_terminations: this certificate',
  'data_subject_requests: that each request was received and answered (type, dates, outcome), without its subject or requester',
  'breach_affected_accounts, notice_deliveries: the breach and notice register (when each notice was sent), without addresses',
  'billing_records: invoices, card changes and credits (no card display fields, no holder PII), 7 years, then purged by the daily retention run',
  'account_billing, usage_events: the Stripe subscription state (cancelled with a final invoice) and the usage billed, without card fields',
];
