import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 17 items 2b and 3, the emailed-link flows: an email-change link carries the new address it
 * proves (applied only when the link is used), and an invitation may make its invitee an owner.
 */
export class Migration20261206140000_holder_links extends Migration {
  override up(): void {
    this.addSql(`
      alter table email_links add column new_email text check (new_email is null or (purpose = 'email_change' and new_email = lower(new_email)));
      alter table account_invitations drop constraint if exists account_invitations_role_check;
      alter table account_invitations add constraint account_invitations_role_check check (role in ('owner', 'admin', 'developer', 'billing'));
      alter table account_invitations add column revoked_at timestamptz;
    `);
  }

  override down(): void {
    this.addSql(`
      delete from account_invitations where role = 'owner';
      alter table account_invitations drop column revoked_at;
      alter table account_invitations drop constraint if exists account_invitations_role_check;
      alter table account_invitations add constraint account_invitations_role_check check (role in ('admin', 'developer', 'billing'));
      alter table email_links drop column new_email;
    `);
  }
}
