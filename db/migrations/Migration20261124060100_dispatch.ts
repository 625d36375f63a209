import { Migration } from '@mikro-orm/migrations';

/**
 * The send path: every attempt names the send activity call that wrote it (`send_id`), so a retried
 * send finds its own earlier attempts (a pending one is ambiguous: the worker died mid-call).
 */
export class Migration20261124060100_dispatch extends Migration {
  override up(): void {
    this.addSql(`
      alter table message_attempts add column send_id text;
      create index message_attempts_send_idx on message_attempts (send_id, message_id) where send_id is not null;
    `);
  }

  override down(): void {
    this.addSql(`
      drop index if exists message_attempts_send_idx;
      alter table message_attempts drop column if exists send_id;
    `);
  }
}
