import { Migration } from '@mikro-orm/migrations';

/**
 * Quiet hours at the carrier call: a campaign message carries the end of its permitted window
 * (`send_before`, null for one-off messages), checked by the claim and by prepareSend before every
 * attempt. A message whose window closed before a carrier took it waits in the outbox for the next
 * opening (`next_attempt_at`) with `wait_reason`, so its campaign counts it as waiting.
 */
export class Migration20261206021000_quiet_send_before extends Migration {
  override up(): void {
    this.addSql(`
      alter table messages
        add column send_before timestamptz,
        add column wait_reason text check (wait_reason in ('quiet_hours'));
      create index messages_window_closed_idx on messages (send_before) where status = 'queued' and send_before is not null;
    `);
  }

  override down(): void {
    this.addSql(`
      drop index if exists messages_window_closed_idx;
      alter table messages drop column if exists send_before, drop column if exists wait_reason;
    `);
  }
}
