import { Migration } from '@mikro-orm/migrations';

/** The usage rows reconciliation left for an operator, read by /metrics every scrape: a tiny partial index instead of a scan of every usage row. */
export class Migration20261206142000_usage_unresolved_index extends Migration {
  override up(): void {
    this.addSql(
      `create index usage_events_unresolved_idx on usage_events (accepted_at) where unresolved_at is not null and reported_at is null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index usage_events_unresolved_idx;`);
  }
}
