import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 17, the holder's privacy side: a profile per holder identity (users.id) and the consent
 * history. Consent rows are evidence: they are never updated (a trigger refuses it), a change is a
 * new row, and they are keyed by the holder id without a foreign key so they outlive the identity
 * for the retention class `consentRecords`.
 */
export class Migration20261206130000_holder_privacy extends Migration {
  override up(): void {
    this.addSql(`
      create table holder_profiles (
        user_id uuid primary key references users (id) on delete cascade,
        name text,
        country text check (country ~ '^[A-Z]{2}$'),
        billing_address_pii bytea,
        tax_id_pii bytea,
        updated_at timestamptz not null
      );

      create table holder_consents (
        id uuid primary key,
        -- The order records were made in, even within one millisecond: the newest decides.
        seq bigint generated always as identity,
        user_id uuid not null,
        purpose text not null check (purpose in ('product_analytics', 'marketing_email')),
        granted boolean not null,
        policy_version text,
        method text not null check (method in ('holder_request')),
        recorded_at timestamptz not null
      );
      create index holder_consents_latest on holder_consents (user_id, purpose, seq desc);

      create function holder_consents_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'holder_consents is append-only: record a new consent instead';
      end $$;
      create trigger holder_consents_no_update before update on holder_consents
        for each row execute function holder_consents_append_only();
    `);
  }

  override down(): void {
    this.addSql(`
      drop table holder_consents;
      drop function holder_consents_append_only();
      drop table holder_profiles;
    `);
  }
}
