import { Migration } from '@mikro-orm/migrations';

/**
 * Staff set their own factors (issue 21): a new or reset staff user has no password and no TOTP
 * secret until they use their emailed one-time enrolment token. Only a SHA-256 of the token is
 * stored; it expires, is used once, and a reset revokes the ones still open.
 */
export class Migration20261206023500_misc_staff_enrolment extends Migration {
  override up(): void {
    this.addSql(`
      alter table staff_users alter column password_hash drop not null, alter column totp_secret drop not null;
      alter table staff_users add constraint staff_users_factors_together check ((password_hash is null) = (totp_secret is null));

      create table staff_enrolments (
        id uuid primary key,
        staff_user_id uuid not null references staff_users (id),
        token_hash bytea not null unique,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at timestamptz,
        revoked_at timestamptz
      );
      create index staff_enrolments_open_idx on staff_enrolments (staff_user_id) where used_at is null and revoked_at is null;
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists staff_enrolments;
      alter table staff_users drop constraint if exists staff_users_factors_together;
    `);
  }
}
