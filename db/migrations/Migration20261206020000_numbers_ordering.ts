import { Migration } from '@mikro-orm/migrations';

/**
 * Sender numbers come from the carriers' inventory (issue #21): a row is an order's life, `ordering`
 * at Telnyx → `failover_pending` (sendable through Telnyx; Twilio's hosted-SMS order still open) →
 * `active` (sendable at both) → `releasing` → `released`, or `order_failed`. A released row stays:
 * it names the last owner (inbound and STOPs to the number are kept against it) and its
 * `released_at` starts the quarantine. Only one row per number may be held at a time. Numbers
 * registered before this migration were taken as already provisioned at both carriers.
 */
export class Migration20261206020000_numbers_ordering extends Migration {
  override up(): void {
    this.addSql(`
      alter table sender_numbers
        add column status text not null default 'active'
          check (status in ('ordering', 'failover_pending', 'active', 'releasing', 'released', 'order_failed')),
        add column failure_reason text,
        add column telnyx_order_id text,
        add column telnyx_number_id text,
        add column twilio_hosted_order_sid text,
        add column twilio_number_sid text,
        add column released_at timestamptz,
        add column updated_at timestamptz not null default now();
      alter table sender_numbers alter column status drop default;
      alter table sender_numbers alter column updated_at drop default;
      drop index sender_numbers_phone_uq;
      create unique index sender_numbers_phone_held_uq on sender_numbers (phone_e164) where status not in ('released', 'order_failed');
      create index sender_numbers_phone_released_idx on sender_numbers (phone_e164, released_at desc) where status = 'released';
    `);
  }

  override down(): void {
    this.addSql(`
      delete from sender_numbers where status in ('released', 'order_failed');
      drop index sender_numbers_phone_released_idx;
      drop index sender_numbers_phone_held_uq;
      create unique index sender_numbers_phone_uq on sender_numbers (phone_e164);
      alter table sender_numbers drop column status, drop column failure_reason, drop column telnyx_order_id,
        drop column telnyx_number_id, drop column twilio_hosted_order_sid, drop column twilio_number_sid,
        drop column released_at, drop column updated_at;
    `);
  }
}
