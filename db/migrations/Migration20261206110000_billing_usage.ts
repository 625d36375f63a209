import { Migration } from '@mikro-orm/migrations';

/**
 * Usage per segment (one row per accepted outbound message, written in the transaction that records
 * it sent), the reporter's state for each row (Stripe meter event sent / in doubt / reconciled), the
 * effective-dated price per segment estimates and caps are computed from, and each account's spend
 * cap with the thresholds already alerted in a period.
 */
export class Migration20261206110000_billing_usage extends Migration {
  override up(): void {
    this.addSql(`
      create table usage_events (
        id uuid primary key,
        message_id uuid not null unique,
        account_id uuid not null references accounts (id) on delete cascade,
        campaign_id uuid,
        sender text not null,
        segments integer not null check (segments > 0),
        accepted_at timestamptz not null,
        -- The reporter's state: the first send of the meter event opens Stripe's 24 h dedupe window.
        attempts integer not null default 0,
        first_attempt_at timestamptz,
        next_attempt_at timestamptz not null,
        last_error text,
        -- Bumped when a reconciliation proved the event was not counted: the resend is a new identifier.
        identifier_round integer not null default 0,
        reported_at timestamptz,
        reconciled_at timestamptz,
        -- A reconciliation that could not tell which rows Stripe counted: kept for an operator.
        unresolved_at timestamptz
      );
      create index usage_events_account_accepted_idx on usage_events (account_id, accepted_at);
      create index usage_events_unreported_idx on usage_events (next_attempt_at) where reported_at is null and unresolved_at is null;

      create table billing_prices (
        id uuid primary key,
        currency text not null check (currency ~ '^[a-z]{3}$'),
        -- Per segment, in millionths of the currency's major unit (0.0079 USD = 7900).
        unit_amount_micros bigint not null check (unit_amount_micros >= 0),
        effective_from timestamptz not null,
        created_at timestamptz not null default now(),
        unique (currency, effective_from)
      );
      insert into billing_prices (id, currency, unit_amount_micros, effective_from)
        values ('0193e0a0-0000-7000-8000-000000000001', 'usd', 7900, '2026-01-01T00:00:00Z');

      create table billing_account_settings (
        account_id uuid primary key references accounts (id) on delete cascade,
        currency text not null default 'usd' check (currency ~ '^[a-z]{3}$'),
        -- Monthly spend cap in millionths of the currency unit; null: no cap.
        monthly_cap_micros bigint check (monthly_cap_micros > 0),
        updated_at timestamptz not null default now()
      );

      -- What an account's accepted messages cost in a calendar month (UTC), kept by the statement that
      -- writes the usage rows: the cap is checked against one row, not a month of usage.
      create table billing_period_usage (
        account_id uuid not null references accounts (id) on delete cascade,
        period_start date not null,
        segments bigint not null default 0,
        cost_micros bigint not null default 0,
        primary key (account_id, period_start)
      );

      create table billing_threshold_alerts (
        account_id uuid not null references accounts (id) on delete cascade,
        period_start date not null,
        threshold integer not null check (threshold in (50, 80, 100)),
        cap_micros bigint not null,
        created_at timestamptz not null default now(),
        -- The email goes out after the row (and the customer webhook) committed; null until it did.
        emailed_at timestamptz,
        primary key (account_id, period_start, threshold)
      );

      -- A queued message of an account at its spend cap waits (never dropped) until the cap is raised or the month rolls over.
      alter table messages drop constraint messages_wait_reason_check,
        add constraint messages_wait_reason_check check (wait_reason in ('quiet_hours', 'spend_cap'));
    `);
  }

  override down(): void {
    this.addSql(`
      update messages set wait_reason = null where wait_reason = 'spend_cap';
      alter table messages drop constraint messages_wait_reason_check,
        add constraint messages_wait_reason_check check (wait_reason in ('quiet_hours'));
      drop table if exists billing_threshold_alerts;
      drop table if exists billing_period_usage;
      drop table if exists billing_account_settings;
      drop table if exists billing_prices;
      drop table if exists usage_events;
    `);
  }
}
