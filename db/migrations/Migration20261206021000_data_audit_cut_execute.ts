import { Migration } from '@mikro-orm/migrations';

/**
 * `audit_log_retention_cut` runs as its owner (security definer): Postgres grants EXECUTE on a new
 * function to PUBLIC, so any role that can log in could have called it. Only the app's role may
 * (granted in db/app-role.ts, which knows its name). tests/retention.test.ts fails for any security
 * definer function PUBLIC may still execute.
 */
export class Migration20261206021000_data_audit_cut_execute extends Migration {
  override up(): void {
    this.addSql(`
      revoke execute on function audit_log_retention_cut(bigint, bytea, text, bytea) from public;
    `);
  }

  override down(): void {
    this.addSql(`
      grant execute on function audit_log_retention_cut(bigint, bytea, text, bytea) to public;
    `);
  }
}
