import { Migration } from '@mikro-orm/migrations';

/**
 * The daily retention run purges ended webhook deliveries, the recipient snapshots of ended
 * campaigns, finished imports and old notice records (services/retention/retention-store.ts): each
 * batch finds its next rows through one of these indexes instead of scanning the table.
 */
export class Migration20261206022000_data_retention_indexes extends Migration {
  override up(): void {
    this.addSql(`
      create index webhook_deliveries_ended_idx on webhook_deliveries (completed_at) where status in ('delivered', 'failed');
      create index campaigns_finished_idx on campaigns (finished_at) where status in ('completed', 'cancelled');
      create index contact_imports_finished_idx on contact_imports ((coalesce(completed_at, updated_at)))
        where status in ('completed', 'failed');
      create index notice_deliveries_sent_idx on notice_deliveries (sent_at);
    `);
  }

  override down(): void {
    this.addSql(`
      drop index if exists notice_deliveries_sent_idx;
      drop index if exists contact_imports_finished_idx;
      drop index if exists campaigns_finished_idx;
      drop index if exists webhook_deliveries_ended_idx;
    `);
  }
}
