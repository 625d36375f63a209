import { Migration } from '@mikro-orm/migrations';

/**
 * Admin scope, sessions, and sign-up without email enumeration: an email may own several accounts
 * (sign-up never looks it up), so the unique constraint on users.email becomes a plain index.
 */
export class Migration20261124020000_auth_hardening extends Migration {
  override up(): void {
    this.addSql(`
      alter table users drop constraint users_email_key;
      create index users_email_idx on users (email, created_at);

      -- Existing accounts keep key management: their oldest active key (the sign-up key) becomes admin.
      update api_keys set scopes = array_append(scopes, 'admin')
       where id in (select distinct on (account_id) id from api_keys
                     where revoked_at is null order by account_id, created_at, id)
         and not ('admin' = any (scopes));

      -- Short-lived sign-in tokens (POST /v1/sessions); only a SHA-256 of the token is stored.
      create table sessions (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        token_hash bytea not null unique,
        created_at timestamptz not null,
        expires_at timestamptz not null
      );
      create index sessions_expires_idx on sessions (expires_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists sessions;
      update api_keys set scopes = array_remove(scopes, 'admin');
      drop index if exists users_email_idx;
      alter table users add constraint users_email_key unique (email);
    `);
  }
}
