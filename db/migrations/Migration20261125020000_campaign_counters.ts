import { Migration } from '@mikro-orm/migrations';

/**
 * A campaign's running totals, written in the same transaction as the recipients they count (each
 * page, and the cancel). The workflow takes them as they are instead of adding up page results, so
 * a page whose result was lost with a crashed worker (committed, then retried) is still counted once.
 */
export class Migration20261125020000_campaign_counters extends Migration {
  override up(): void {
    this.addSql(`
      alter table campaigns
        add column queued_count integer not null default 0,
        add column skipped_counts jsonb not null default '{}'::jsonb;
    `);
  }

  override down(): void {
    this.addSql('alter table campaigns drop column if exists queued_count, drop column if exists skipped_counts;');
  }
}
