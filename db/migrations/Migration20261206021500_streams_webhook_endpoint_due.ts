import { Migration } from '@mikro-orm/migrations';

/**
 * Fair webhook delivery claims due rows endpoint by endpoint (a few per endpoint, round-robin), so it
 * needs each endpoint's due rows in due order without walking the whole due queue.
 */
export class Migration20261206021500_streams_webhook_endpoint_due extends Migration {
  override up(): void {
    this.addSql(`
      create index webhook_deliveries_endpoint_due_idx on webhook_deliveries (endpoint_id, next_attempt_at) where status = 'pending';
    `);
  }

  override down(): void {
    this.addSql('drop index if exists webhook_deliveries_endpoint_due_idx;');
  }
}
