import { Migration } from '@mikro-orm/migrations';

/**
 * A queued message of an account whose sending is suspended for non-payment waits in the outbox
 * (`wait_reason = 'account_suspended'`), never dropped, until the suspension is lifted.
 */
export class Migration20261206141700_billing_suspension_hold extends Migration {
  override up(): void {
    this.addSql(`
      alter table messages drop constraint messages_wait_reason_check,
        add constraint messages_wait_reason_check check (wait_reason in ('quiet_hours', 'spend_cap', 'account_suspended'));
    `);
  }

  override down(): void {
    this.addSql(`
      update messages set wait_reason = null where wait_reason = 'account_suspended';
      alter table messages drop constraint messages_wait_reason_check,
        add constraint messages_wait_reason_check check (wait_reason in ('quiet_hours', 'spend_cap'));
    `);
  }
}
