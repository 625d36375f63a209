import { Migration } from '@mikro-orm/migrations';

/**
 * Account termination: an account is `terminated` (keys revoked, 30-day grace with an export) and
 * then `deleted` (personal data gone, data key destroyed; the row stays as the tombstone that audit
 * entries, opt-out hashes and billing records point at). `account_terminations` is the process's
 * record (kept: it holds the deletion certificate, no personal data once the certificate is sent);
 * `account_deletion_checkpoints` is where each batched deletion step records how far it got, so a
 * retried or killed activity resumes instead of starting over. Messages keep their metadata after a
 * deletion but lose their recipient, so `recipient_hash` may be null.
 */
export class Migration20261125040000_account_termination extends Migration {
  override up(): void {
    this.addSql(`
      alter table accounts drop constraint accounts_status_check;
      alter table accounts add constraint accounts_status_check check (status in ('active', 'closed', 'terminated', 'deleted'));
      alter table messages alter column recipient_hash drop not null;

      create table account_terminations (
        account_id uuid primary key references accounts (id),
        status text not null check (status in ('pending', 'deleting', 'deleted', 'reactivated')),
        disposition text not null check (disposition in ('delete', 'return_then_delete')),
        requested_by_type text not null check (requested_by_type in ('api_key', 'staff')),
        requested_by_id text not null,
        reason text,
        delete_early boolean not null default false,
        terminated_at timestamptz not null,
        delete_by timestamptz not null,
        confirmed_at timestamptz,
        deletion_started_at timestamptz,
        key_destroyed_at timestamptz,
        deleted_at timestamptz,
        reactivated_at timestamptz,
        notify_email text,
        counts_before jsonb,
        certificate jsonb,
        updated_at timestamptz not null
      );

      create table account_deletion_checkpoints (
        account_id uuid not null references accounts (id),
        step text not null,
        cursor text,
        affected bigint not null default 0,
        done boolean not null default false,
        updated_at timestamptz not null,
        primary key (account_id, step)
      );
    `);
  }
}
