import { Migration } from '@mikro-orm/migrations';

/** Campaigns: a sealed template, an audience of lists, a sender, a send rate and quiet hours. */
export class Migration20261124080000_campaigns extends Migration {
  override up(): void {
    this.addSql(`
      create table campaigns (
        id uuid primary key,
        account_id uuid not null references accounts (id) on delete cascade,
        name text not null,
        -- The template text can name people: sealed under the account's data key, bound to the campaign.
        template bytea not null,
        -- Placeholder names only ('name', 'attributes.city'), never values.
        template_variables text[] not null,
        sender text not null,
        list_ids uuid[] not null,
        exclude_list_ids uuid[] not null default '{}',
        start_at timestamptz,
        rate_per_second integer not null check (rate_per_second > 0),
        -- Minutes after local midnight in the recipient's zone.
        quiet_start_minute smallint not null check (quiet_start_minute between 0 and 1439),
        quiet_end_minute smallint not null check (quiet_end_minute between 1 and 1440),
        status text not null check (status in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
        launched_at timestamptz,
        finished_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        check (quiet_start_minute < quiet_end_minute)
      );
      create index campaigns_account_idx on campaigns (account_id, id);
      create index campaigns_account_status_idx on campaigns (account_id, status) where status in ('scheduled', 'running', 'paused');
    `);
  }

  override down(): void {
    this.addSql('drop table if exists campaigns;');
  }
}
