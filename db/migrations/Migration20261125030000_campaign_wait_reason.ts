import { Migration } from '@mikro-orm/migrations';

/** Why a pending recipient waits for its `not_before`: its quiet hours, or its state's cap on marketing messages. */
export class Migration20261125030000_campaign_wait_reason extends Migration {
  override up(): void {
    this.addSql(`
      alter table campaign_recipients add column wait_reason text check (wait_reason in ('quiet_hours', 'message_cap'));
    `);
  }

  override down(): void {
    this.addSql('alter table campaign_recipients drop column if exists wait_reason;');
  }
}
