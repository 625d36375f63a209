import { Migration } from '@mikro-orm/migrations';

/**
 * The audit chain becomes an HMAC chain (key derived from MASTER_KEY, named per entry by
 * `mac_key_id`), and checkpoints record the chain's length and head so a cut tail is detected.
 */
export class Migration20261124030000_audit_mac_checkpoints extends Migration {
  override up(): void {
    this.addSql(`
      alter table audit_log rename column prev_hash to prev_mac;
      alter table audit_log rename column hash to mac;
      -- Entries written before this migration have none: they are sha256-chained and reported as unkeyed.
      alter table audit_log add column mac_key_id text;

      create table audit_checkpoints (
        entries bigint primary key,
        head_mac bytea not null,
        mac_key_id text not null,
        mac bytea not null,
        at timestamptz not null
      );
      create function audit_reject_change() returns trigger language plpgsql as $$
        begin raise exception '% is append-only', tg_table_name; end $$;
      create trigger audit_checkpoints_append_only before update or delete or truncate on audit_checkpoints
        for each statement execute function audit_reject_change();
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists audit_checkpoints;
      drop function if exists audit_reject_change();
      alter table audit_log drop column mac_key_id;
      alter table audit_log rename column mac to hash;
      alter table audit_log rename column prev_mac to prev_hash;
    `);
  }
}
