import { Migration } from '@mikro-orm/migrations';

/**
 * Billing (issue 16): each account gets one Stripe customer, created after sign-up by an activity
 * whose idempotency key is derived from the account id. Unique, so two customers can never be
 * recorded for one account nor one customer for two.
 */
export class Migration20261206100000_billing_customer extends Migration {
  override up(): void {
    this.addSql(`alter table accounts add column stripe_customer_id text unique;`);
  }

  override down(): void {
    this.addSql(`alter table accounts drop column if exists stripe_customer_id;`);
  }
}
