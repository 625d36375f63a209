import { Migration } from '@mikro-orm/migrations';

/**
 * A launched campaign's audience, snapshotted: one row per recipient number (so a contact on two
 * lists, or two contacts sharing a number, get one message). A row moves pending → queued (its
 * message written in the same transaction) or skipped (with the reason), never back.
 */
export class Migration20261124080100_campaign_recipients extends Migration {
  override up(): void {
    this.addSql(`
      create table campaign_recipients (
        campaign_id uuid not null references campaigns (id) on delete cascade,
        account_id uuid not null references accounts (id) on delete cascade,
        -- No foreign key: a contact deleted mid-campaign is skipped with its reason, not cascaded away.
        contact_id uuid not null,
        phone_hash bytea not null,
        state text not null default 'pending' check (state in ('pending', 'queued', 'skipped')),
        skip_reason text,
        message_id uuid,
        -- Set while the recipient is outside its quiet-hours window: not sent before then.
        not_before timestamptz,
        primary key (campaign_id, contact_id)
      );
      create unique index campaign_recipients_number_uq on campaign_recipients (campaign_id, phone_hash);
      create index campaign_recipients_pending_idx on campaign_recipients (campaign_id, contact_id) where state = 'pending';
      create index campaign_recipients_account_idx on campaign_recipients (account_id);
    `);
  }

  override down(): void {
    this.addSql('drop table if exists campaign_recipients;');
  }
}
