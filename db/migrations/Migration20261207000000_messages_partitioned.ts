import { Migration } from '@mikro-orm/migrations';

/**
 * Messages, their bodies, their carrier attempts and their usage rows, partitioned by month of the
 * message id (a UUIDv7: its first 48 bits are the creation time in ms), so the retention run drops a
 * month of bodies (90 days) or of metadata (24 months) as a table instead of deleting rows one by one.
 *
 * - `message_bodies` holds the sealed body apart from its message: the 90-day purge drops its month
 *   while the message row stays. It has the message's `created_at` for the row-level purge of rows a
 *   partition drop cannot take (the current month's boundary, the default partition).
 * - An attempt's id carries its message's time (lib/ids uuidv7SameTimeAs), so it lands in its
 *   message's month; usage rows are partitioned by their message id (one row per message, its key).
 * - Bodies and attempts have no foreign key to `messages`: a key would make every partition drop scan
 *   the referencing table under an exclusive lock. What deletes messages deletes them too (retention,
 *   termination); the account key still cascades.
 * - Each table has a default partition, so a send never fails for want of a month: the daily run
 *   creates months ahead, and a month whose range already has rows in the default is left there
 *   (the row-level purge still covers it). A uniqueness of (carrier, carrier_message_id) cannot span
 *   partitions; it was never relied on, and stays an index.
 */
export class Migration20261207000000_messages_partitioned extends Migration {
  override up(): void {
    this.addSql(`
      alter table messages rename to messages_unpartitioned;
      alter table message_attempts rename to message_attempts_unpartitioned;
      alter table usage_events rename to usage_events_unpartitioned;

      create function uuid_v7_floor(ts timestamptz) returns uuid language sql immutable strict as $$
        select (lpad(to_hex(floor(extract(epoch from ts) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
      $$;

      create table messages (
        id uuid not null,
        account_id uuid not null,
        direction text not null check (direction in ('outbound', 'inbound')),
        kind text not null default 'api' check (kind in ('api', 'campaign', 'keyword_reply', 'inbound')),
        recipient_hash bytea,
        recipient_pii bytea,
        sender text not null,
        encoding text not null check (encoding in ('GSM-7', 'UCS-2')),
        segments integer not null,
        status text not null check (status in
          ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed', 'received')),
        carrier text,
        carrier_message_id text,
        campaign_id uuid,
        error_code text,
        error_detail text,
        next_attempt_at timestamptz,
        claim_token text,
        claimed_until timestamptz,
        created_at timestamptz not null,
        sent_at timestamptz,
        delivered_at timestamptz,
        failed_at timestamptz,
        updated_at timestamptz not null,
        send_before timestamptz,
        wait_reason text check (wait_reason in ('quiet_hours', 'spend_cap', 'account_suspended')),
        answers_keyword text check (answers_keyword in ('stop', 'start', 'help')),
        constraint messages_answers_keyword_kind check (answers_keyword is null or kind = 'keyword_reply')
      ) partition by range (id);

      create table message_bodies (
        message_id uuid not null,
        account_id uuid not null,
        body bytea not null,
        created_at timestamptz not null
      ) partition by range (message_id);

      create table message_attempts (
        id uuid not null,
        message_id uuid not null,
        account_id uuid not null,
        carrier text not null,
        outcome text not null check (outcome in
          ('pending', 'accepted', 'permanent', 'transient', 'ambiguous', 'confirmed_sent', 'confirmed_not_sent')),
        carrier_message_id text,
        error_code text,
        error_detail text,
        created_at timestamptz not null,
        completed_at timestamptz,
        reconcile_after timestamptz,
        send_id text
      ) partition by range (id);

      create table usage_events (
        id uuid not null,
        message_id uuid not null,
        account_id uuid not null,
        campaign_id uuid,
        sender text not null,
        segments integer not null check (segments > 0),
        accepted_at timestamptz not null,
        attempts integer not null default 0,
        first_attempt_at timestamptz,
        next_attempt_at timestamptz not null,
        last_error text,
        identifier_round integer not null default 0,
        reported_at timestamptz,
        reconciled_at timestamptz,
        unresolved_at timestamptz
      ) partition by range (message_id);

      create table messages_default partition of messages default;
      create table message_bodies_default partition of message_bodies default;
      create table message_attempts_default partition of message_attempts default;
      create table usage_events_default partition of usage_events default;
    `);
    this.addSql(PARTITION_FUNCTIONS);
    // JIT compiles a plan whose estimated cost passes jit_above_cost: with a table's partitions in one
    // plan that is most plans, and compiling hundreds of functions took ~3 s for a 90 ms query. This is
    // an OLTP database: off for every connection to it.
    this.addSql(`do $$ begin execute format('alter database %I set jit = off', current_database()); end $$;`);
    // Months from the oldest message kept (at most 25 back) to three ahead, before the rows move in.
    this.addSql(`
      select ensure_message_partitions(
        greatest(coalesce((select min(created_at) from messages_unpartitioned), now()), now() - interval '25 months'),
        now() + interval '3 months');
    `);
    this.addSql(`
      insert into messages (id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status,
          carrier, carrier_message_id, campaign_id, error_code, error_detail, next_attempt_at, claim_token, claimed_until, created_at,
          sent_at, delivered_at, failed_at, updated_at, send_before, wait_reason, answers_keyword)
        select id, account_id, direction, kind, recipient_hash, recipient_pii, sender, encoding, segments, status,
          carrier, carrier_message_id, campaign_id, error_code, error_detail, next_attempt_at, claim_token, claimed_until, created_at,
          sent_at, delivered_at, failed_at, updated_at, send_before, wait_reason, answers_keyword
        from messages_unpartitioned;
      insert into message_bodies (message_id, account_id, body, created_at)
        select id, account_id, body, created_at from messages_unpartitioned where body is not null and body_purged_at is null;
      insert into message_attempts select id, message_id, account_id, carrier, outcome, carrier_message_id, error_code,
          error_detail, created_at, completed_at, reconcile_after, send_id from message_attempts_unpartitioned;
      insert into usage_events select id, message_id, account_id, campaign_id, sender, segments, accepted_at, attempts,
          first_attempt_at, next_attempt_at, last_error, identifier_round, reported_at, reconciled_at, unresolved_at from usage_events_unpartitioned;

      drop table usage_events_unpartitioned;
      drop table message_attempts_unpartitioned;
      drop table messages_unpartitioned;

      alter table messages add constraint messages_pkey primary key (id),
        add constraint messages_account_id_fkey foreign key (account_id) references accounts (id) on delete cascade;
      create index messages_outbox_idx on messages (next_attempt_at) where status = 'queued';
      create index messages_claim_idx on messages (claim_token) where claim_token is not null;
      create index messages_sending_idx on messages (claimed_until) where status = 'sending';
      create index messages_account_idx on messages (account_id, id);
      create index messages_account_recipient_idx on messages (account_id, recipient_hash, id);
      create index messages_campaign_idx on messages (campaign_id, id) where campaign_id is not null;
      create index messages_carrier_id_idx on messages (carrier, carrier_message_id) where carrier_message_id is not null;
      create index messages_created_idx on messages (created_at);
      create index messages_window_closed_idx on messages (send_before) where status = 'queued' and send_before is not null;

      alter table message_bodies add constraint message_bodies_pkey primary key (message_id),
        add constraint message_bodies_account_id_fkey foreign key (account_id) references accounts (id) on delete cascade;
      create index message_bodies_created_idx on message_bodies (created_at, message_id);

      alter table message_attempts add constraint message_attempts_pkey primary key (id),
        add constraint message_attempts_account_id_fkey foreign key (account_id) references accounts (id) on delete cascade;
      create index message_attempts_message_idx on message_attempts (message_id, created_at);
      create index message_attempts_ambiguous_idx on message_attempts (reconcile_after) where outcome = 'ambiguous';
      create index message_attempts_send_idx on message_attempts (send_id, message_id) where send_id is not null;

      alter table usage_events add constraint usage_events_pkey primary key (message_id),
        add constraint usage_events_account_id_fkey foreign key (account_id) references accounts (id) on delete cascade;
      create index usage_events_id_idx on usage_events (id);
      create index usage_events_account_accepted_idx on usage_events (account_id, accepted_at);
      create index usage_events_unreported_idx on usage_events (next_attempt_at) where reported_at is null and unresolved_at is null;
      create index usage_events_unresolved_idx on usage_events (accepted_at) where unresolved_at is not null and reported_at is null;
    `);
  }

  override down(): void {
    throw new Error('Migration20261207000000_messages_partitioned cannot be reverted: restore from a backup taken before it');
  }
}

/**
 * The app role owns no table, so it cannot create or drop a partition: these two owner functions do,
 * checked here rather than trusted to the caller. EXECUTE is granted to the app role (db/app-role.ts).
 */
const PARTITION_FUNCTIONS = `
  -- One partition of 'parent' for the times [lo, hi); returns its name when it could not be made.
  create function create_message_partition(parent text, name text, lo timestamp, hi timestamp) returns text[]
  language plpgsql set search_path = public as $$
  begin
    if to_regclass(name) is not null then return '{}'; end if;
    execute format('create table %I partition of %I for values from (%L) to (%L)', name, parent,
      uuid_v7_floor(lo at time zone 'UTC'), uuid_v7_floor(hi at time zone 'UTC'));
    return '{}';
  exception when check_violation or lock_not_available then
    -- The default partition already holds rows of this range (they stay there), or the lock was not
    -- had within the timeout (the next run tries again).
    return array[name];
  end $$;

  -- Months of messages, attempts and usage rows, and days of bodies, from from_ts's month through through_ts's.
  create function ensure_message_partitions(from_ts timestamptz, through_ts timestamptz) returns text[]
  language plpgsql security definer set search_path = public as $$
  declare
    m timestamp := date_trunc('month', from_ts at time zone 'UTC');
    d timestamp;
    t text;
    skipped text[] := '{}';
  begin
    -- Creating a partition locks its parent: sends wait behind the request, so it gives up quickly.
    perform set_config('lock_timeout', '1s', true);
    while m <= date_trunc('month', through_ts at time zone 'UTC') loop
      foreach t in array array['messages', 'message_attempts', 'usage_events'] loop
        skipped := skipped || create_message_partition(t, t || '_p' || to_char(m, 'YYYYMM'), m, m + interval '1 month');
      end loop;
      d := m;
      while d < m + interval '1 month' loop
        skipped := skipped || create_message_partition('message_bodies', 'message_bodies_p' || to_char(d, 'YYYYMMDD'), d, d + interval '1 day');
        d := d + interval '1 day';
      end loop;
      m := m + interval '1 month';
    end loop;
    return skipped;
  end $$;

  -- Drops a day of bodies ('bodies', the day of period_start) or a month of messages with their bodies
  -- and attempts ('metadata', its month) when it ended by the cutoff and none of its messages waits to
  -- be sent or was created after the cutoff; returns the rows dropped, or null when the period must be
  -- purged row by row instead.
  create function drop_message_partition(what text, period_start timestamptz, cutoff timestamptz) returns bigint
  language plpgsql security definer set search_path = public as $$
  declare
    unit text := case what when 'bodies' then 'day' when 'metadata' then 'month' end;
    p timestamp := date_trunc(unit, period_start at time zone 'UTC');
    next_p timestamp := p + ('1 ' || unit)::interval;
    lo uuid := uuid_v7_floor(p at time zone 'UTC');
    hi uuid := uuid_v7_floor(next_p at time zone 'UTC');
    target text := case what when 'bodies' then 'message_bodies_p' || to_char(p, 'YYYYMMDD') else 'messages_p' || to_char(p, 'YYYYMM') end;
    d timestamp;
    blocked boolean;
    n bigint;
  begin
    if unit is null then raise exception 'drop_message_partition: unknown kind %', what; end if;
    if next_p at time zone 'UTC' > cutoff then return null; end if;
    if to_regclass(target) is null then return 0; end if;
    -- Dropping locks the parent: sends wait behind the request, so it gives up quickly (null: row by row).
    perform set_config('lock_timeout', '1s', true);
    select exists (select 1 from messages where id >= lo and id < hi and status = 'queued')
        or exists (select 1 from messages where id >= lo and id < hi and status = 'sending')
      into blocked;
    if not blocked then
      execute format('select exists (select 1 from %I where created_at > $1)', target) into blocked using cutoff;
    end if;
    if blocked then return null; end if;
    execute format('select count(*) from %I', target) into n;
    if what = 'metadata' then
      d := p;
      while d < next_p loop
        execute format('drop table if exists %I', 'message_bodies_p' || to_char(d, 'YYYYMMDD'));
        d := d + interval '1 day';
      end loop;
      execute format('drop table if exists %I', 'message_attempts_p' || to_char(p, 'YYYYMM'));
    end if;
    execute format('drop table %I', target);
    if what = 'metadata' then
      -- Attempts written before their ids carried the message's time may sit in another month, and
      -- bodies of a day that had no partition sit in the default one.
      delete from message_attempts where message_id >= lo and message_id < hi;
      delete from message_bodies where message_id >= lo and message_id < hi;
    end if;
    return n;
  exception when lock_not_available then
    return null;
  end $$;

  revoke execute on function create_message_partition(text, text, timestamp, timestamp) from public;
  revoke execute on function ensure_message_partitions(timestamptz, timestamptz) from public;
  revoke execute on function drop_message_partition(text, timestamptz, timestamptz) from public;
`;
