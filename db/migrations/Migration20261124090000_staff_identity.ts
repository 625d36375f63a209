import { Migration } from '@mikro-orm/migrations';

/**
 * Staff identity: staff users (argon2id password, a role, a TOTP secret sealed under the staff-TOTP
 * system key, the last TOTP time step accepted so a code is never accepted twice) and their
 * sessions (only a SHA-256 of the token is stored; 12 hours; revocable). Staff users are disabled,
 * never deleted, so every audit entry keeps naming someone.
 */
export class Migration20261124090000_staff_identity extends Migration {
  override up(): void {
    this.addSql(`
      create table staff_users (
        id uuid primary key,
        email text not null,
        password_hash text not null,
        role text not null check (role in ('privacy', 'security', 'support', 'admin')),
        totp_secret bytea not null,
        totp_last_step bigint,
        created_at timestamptz not null,
        disabled_at timestamptz
      );
      create unique index staff_users_email_key on staff_users (lower(email));

      create table staff_sessions (
        id uuid primary key,
        staff_user_id uuid not null references staff_users (id),
        token_hash bytea not null unique,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz
      );
      create index staff_sessions_user_idx on staff_sessions (staff_user_id) where revoked_at is null;
      create index staff_sessions_expires_idx on staff_sessions (expires_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists staff_sessions;
      drop table if exists staff_users;
    `);
  }
}
