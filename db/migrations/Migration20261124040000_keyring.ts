import { Migration } from '@mikro-orm/migrations';

/**
 * Versioned, rotatable keys: data keys record which master key wrapped them and carry a generation
 * that destroying bumps (every process checks it on use); system keys (the phone-hash key) are
 * stored wrapped so they survive MASTER_KEY rotation.
 */
export class Migration20261124040000_keyring extends Migration {
  override up(): void {
    this.addSql(`
      alter table account_data_keys
        add column key_version integer not null default 1,
        add column generation integer not null default 1,
        add column master_key_id text;
      create index account_data_keys_master_key_idx on account_data_keys (master_key_id) where wrapped_key is not null;

      create table system_keys (
        name text not null,
        version integer not null,
        wrapped_key bytea not null,
        master_key_id text not null,
        created_at timestamptz not null,
        primary key (name, version)
      );
    `);
  }

  override down(): void {
    this.addSql(`
      drop table if exists system_keys;
      drop index if exists account_data_keys_master_key_idx;
      alter table account_data_keys drop column key_version, drop column generation, drop column master_key_id;
    `);
  }
}
