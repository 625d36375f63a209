import { Migration } from '@mikro-orm/migrations';

/** The daily retention run purges billing records 7 years after they occurred: it walks this index. */
export class Migration20261206141800_billing_records_retention extends Migration {
  override up(): void {
    this.addSql(`create index billing_records_occurred_idx on billing_records (occurred_at);`);
  }

  override down(): void {
    this.addSql(`drop index if exists billing_records_occurred_idx;`);
  }
}
