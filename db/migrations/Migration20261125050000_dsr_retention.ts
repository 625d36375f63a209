import { Migration } from '@mikro-orm/migrations';

/**
 * Data subject requests (one row per request; the subject's number and the requester's email only
 * sealed), their extensions, the indexes the retention schedule's bounded batches use, and retention
 * cuts of the audit log: a cut removes a prefix of entries older than 7 years through an owner-run
 * function and leaves a record (first kept seq, the MAC it chains from, a MAC over both) so the rest
 * of the chain still verifies.
 */
export class Migration20261125050000_dsr_retention extends Migration {
  override up(): void {
    this.addSql(`
      create table data_subject_requests (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        origin text not null check (origin in ('customer', 'staff')),
        type text not null check (type in ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')),
        status text not null check (status in ('awaiting_identity', 'open', 'completed')),
        -- The subject among the account's recipients (no foreign key: an erasure deletes the contact).
        subject_contact_id uuid,
        subject_phone_hash bytea,
        -- {phone}, sealed under the account's data key, bound to this row; dropped by an erasure.
        subject_pii bytea,
        -- {email}, sealed likewise: who asked, when it was not the account itself (staff-logged requests).
        requester_pii bytea,
        created_by_type text not null,
        created_by_id text not null,
        identity_verified_at timestamptz,
        identity_verified_by uuid,
        received_at timestamptz not null,
        due_at timestamptz not null,
        overdue_at timestamptz,
        completed_at timestamptz,
        outcome jsonb,
        completion_note text,
        updated_at timestamptz not null
      );
      create index data_subject_requests_account_idx on data_subject_requests (account_id, id);

      -- Each extension asked for; applied only when the request's workflow accepted it (before the due date).
      create table data_subject_request_extensions (
        id uuid primary key,
        request_id uuid not null references data_subject_requests (id) on delete cascade,
        days int not null check (days between 1 and 60),
        reason text not null,
        status text not null check (status in ('pending', 'applied', 'refused')),
        requested_by uuid not null,
        created_at timestamptz not null,
        decided_at timestamptz
      );
      create index data_subject_request_extensions_request_idx on data_subject_request_extensions (request_id, created_at);

      -- Retention batches walk these in bounded statements.
      create index messages_body_created_idx on messages (created_at) where body is not null;
      create index messages_created_idx on messages (created_at);

      create table audit_retention_cuts (
        first_kept_seq bigint primary key,
        prev_mac bytea not null,
        mac_key_id text not null,
        mac bytea not null,
        at timestamptz not null
      );
      create trigger audit_retention_cuts_append_only before update or delete or truncate on audit_retention_cuts
        for each statement execute function audit_reject_change();

      -- Deleting from audit_log is refused except inside audit_log_retention_cut below.
      create or replace function audit_log_reject_change() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' and current_setting('massivesms.audit_retention_cut', true) = 'on' then return null; end if;
          raise exception 'audit_log is append-only';
        end $$;

      -- Runs as the owner (the app role may not delete audit entries): removes entries 1..through_seq
      -- only if every one is older than 7 years (the retention floor, checked by the database's own
      -- clock), the head stays, and the cut record names the MAC the kept chain starts from.
      create function audit_log_retention_cut(through_seq bigint, cut_prev_mac bytea, cut_mac_key_id text, cut_mac bytea)
        returns bigint language plpgsql security definer set search_path = public, pg_temp as $$
        declare
          head bigint;
          newest timestamptz;
          stored_mac bytea;
          removed bigint;
        begin
          perform pg_advisory_xact_lock(727001);
          select max(seq) into head from audit_log;
          if head is null or through_seq >= head then raise exception 'the head of the audit chain is never cut'; end if;
          select max(at) into newest from audit_log where seq <= through_seq;
          if newest is null then return 0; end if;
          if newest >= now() - interval '7 years' then raise exception 'audit entries are kept 7 years'; end if;
          select mac into stored_mac from audit_log where seq = through_seq;
          if stored_mac is distinct from cut_prev_mac then raise exception 'the cut does not match the chain'; end if;
          insert into audit_retention_cuts (first_kept_seq, prev_mac, mac_key_id, mac, at)
            values (through_seq + 1, cut_prev_mac, cut_mac_key_id, cut_mac, now());
          perform set_config('massivesms.audit_retention_cut', 'on', true);
          delete from audit_log where seq <= through_seq;
          get diagnostics removed = row_count;
          perform set_config('massivesms.audit_retention_cut', 'off', true);
          return removed;
        end $$;
    `);
  }

  override down(): void {
    this.addSql(`
      drop function if exists audit_log_retention_cut(bigint, bytea, text, bytea);
      create or replace function audit_log_reject_change() returns trigger language plpgsql as $$
        begin raise exception 'audit_log is append-only'; end $$;
      drop table if exists audit_retention_cuts;
      drop index if exists messages_created_idx;
      drop index if exists messages_body_created_idx;
      drop table if exists data_subject_request_extensions;
      drop table if exists data_subject_requests;
    `);
  }
}
