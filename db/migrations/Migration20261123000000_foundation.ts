import { Migration } from '@mikro-orm/migrations';

/** Accounts, keys, contacts, lists, opt-outs, audit log, idempotency and contact imports. */
export class Migration20261123000000_foundation extends Migration {
  override up(): void {
    this.addSql(`
      create table accounts (
        id uuid primary key,
        name text not null,
        status text not null default 'active' check (status in ('active', 'closed')),
        created_at timestamptz not null,
        updated_at timestamptz not null
      );

      create table users (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        email text not null unique,
        password_hash text not null,
        role text not null default 'owner',
        created_at timestamptz not null
      );
      create index users_account_idx on users (account_id);

      create table api_keys (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        name text not null,
        prefix text not null unique,
        key_hash text not null,
        scopes text[] not null,
        created_at timestamptz not null,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      create index api_keys_account_idx on api_keys (account_id, id);

      -- One AES-256-GCM data key per account, wrapped by MASTER_KEY. Destroying it shreds the account's PII.
      create table account_data_keys (
        account_id uuid primary key references accounts (id) on delete cascade,
        wrapped_key bytea,
        created_at timestamptz not null,
        destroyed_at timestamptz
      );

      -- PII (phone, name, attributes, opt-in IP) lives only in pii, encrypted with the account's data key.
      -- phone_hash is a keyed hash (HMAC) of the E.164 number: the dedupe and opt-out join key.
      create table contacts (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        phone_hash bytea not null,
        pii bytea not null,
        opt_in_source text,
        opt_in_at timestamptz,
        last_import_id uuid,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        constraint contacts_account_phone_uq unique (account_id, phone_hash)
      );
      create index contacts_account_id_idx on contacts (account_id, id);

      create table lists (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        name text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index lists_account_id_idx on lists (account_id, id);

      create table list_memberships (
        list_id uuid not null references lists (id) on delete cascade,
        contact_id uuid not null references contacts (id) on delete cascade,
        account_id uuid not null references accounts (id) on delete cascade,
        created_at timestamptz not null,
        primary key (list_id, contact_id)
      );
      create index list_memberships_contact_idx on list_memberships (contact_id);

      -- Opt-outs outlive the account: phone_pii is shredded with the data key, phone_hash stays.
      create table opt_outs (
        id uuid primary key,
        account_id uuid not null,
        phone_hash bytea not null,
        phone_pii bytea,
        source text not null,
        reason text,
        created_at timestamptz not null,
        constraint opt_outs_account_phone_uq unique (account_id, phone_hash)
      );
      create index opt_outs_account_id_idx on opt_outs (account_id, id);

      -- Append-only, hash-chained: hash = sha256(prev_hash || canonical row).
      create table audit_log (
        seq bigint primary key,
        at timestamptz not null,
        actor_type text not null,
        actor_id text,
        account_id uuid,
        action text not null,
        target_type text,
        target_id text,
        details jsonb not null,
        prev_hash bytea not null,
        hash bytea not null
      );
      create index audit_log_account_idx on audit_log (account_id, seq);
      create function audit_log_reject_change() returns trigger language plpgsql as $$
        begin raise exception 'audit_log is append-only'; end $$;
      create trigger audit_log_append_only before update or delete or truncate on audit_log
        for each statement execute function audit_log_reject_change();

      create table idempotency_keys (
        account_id uuid not null references accounts (id) on delete cascade,
        key text not null,
        method text not null,
        path text not null,
        request_hash text not null,
        status_code int,
        response_body jsonb,
        created_at timestamptz not null,
        primary key (account_id, key)
      );

      create table contact_imports (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        status text not null check (status in ('receiving', 'queued', 'running', 'completed', 'failed')),
        mapping jsonb not null,
        total_rows int not null default 0,
        chunk_count int not null default 0,
        processed_rows int not null default 0,
        created int not null default 0,
        updated int not null default 0,
        duplicates int not null default 0,
        invalid int not null default 0,
        opted_out int not null default 0,
        failure text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        completed_at timestamptz
      );
      create index contact_imports_account_id_idx on contact_imports (account_id, id);

      -- Staging: the uploaded rows, parsed and mapped, in encrypted chunks (no file on any local disk).
      create table contact_import_chunks (
        import_id uuid not null references contact_imports (id) on delete cascade,
        chunk_no int not null,
        first_row int not null,
        row_count int not null,
        payload bytea not null,
        primary key (import_id, chunk_no)
      );

      -- One row per applied chunk, written in the same transaction as its contacts: a retried chunk is never applied twice.
      create table contact_import_chunk_results (
        import_id uuid not null references contact_imports (id) on delete cascade,
        chunk_no int not null,
        created int not null,
        updated int not null,
        duplicates int not null,
        invalid int not null,
        opted_out int not null,
        primary key (import_id, chunk_no)
      );

      create table contact_import_errors (
        import_id uuid not null references contact_imports (id) on delete cascade,
        row_no int not null,
        column_name text,
        reason text not null,
        primary key (import_id, row_no)
      );
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists contact_import_errors, contact_import_chunk_results, contact_import_chunks,
        contact_imports, idempotency_keys, audit_log, opt_outs, list_memberships, lists, contacts,
        account_data_keys, api_keys, users, accounts cascade;
      drop function if exists audit_log_reject_change();
    `);
  }
}
